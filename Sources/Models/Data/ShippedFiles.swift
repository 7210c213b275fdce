import Foundation

/// Files Temper ships beside its programs (a SwiftPM resource folder `Temper_<Module>.resources`
/// next to the executable). Looked up here rather than through `Bundle.module`, which stops the
/// program when the folder is missing (a `temper` copied away from its build folder); a missing
/// file is an error that says what to do.
public enum ShippedFiles {
    /// The URL of `path` inside the resource folder of `module`.
    public static func url(module: String, path: String) throws -> URL {
        let folder = "Temper_\(module).resources"
        let candidates = [Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent()].compactMap { $0 }
            .map { $0.appendingPathComponent(folder).appendingPathComponent(path) }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw ModelError.data("\(path) is not next to the program (no \(candidates.first?.path ?? folder)); run it from its build folder, or copy \(folder) beside it")
        }
        return found
    }
}
