import Foundation

/// Runs a PyTorch peer script and reads its figures.
public enum PeerRun {
    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case failed(String)
        public var description: String {
            switch self {
            case .missing(let m): return "peer not available: \(m)"
            case .failed(let m): return "peer run failed: \(m)"
            }
        }
    }

    /// Runs `python script arguments…` and returns its standard output.
    public static func run(python: String, script: String, arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure.missing("\(python) is not an executable Python (set up Benchmarks/Peers/README.md's venv)")
        }
        guard FileManager.default.fileExists(atPath: script) else { throw Failure.missing("no script at \(script)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.failed("\(script) exited with \(process.terminationStatus): \(String(decoding: errorData, as: UTF8.self).suffix(400))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The number after `label` in `text` (e.g. `train-only step 334.0 us` → 334.0).
    public static func number(after label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        let rest = text[range.upperBound...].drop(while: { $0 == " " || $0 == ":" })
        return Double(rest.prefix(while: { "0123456789.eE-+".contains($0) }))
    }
}
