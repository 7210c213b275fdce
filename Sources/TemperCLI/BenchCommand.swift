import ArgumentParser
import Foundation

/// `temper bench …` runs `temper-bench …`, built next to `temper`: the benchmarks count heap
/// allocations with an interposed `malloc`, which the shipped `temper` must not link.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed, allocations and memory, with ratios to the peers (runs temper-bench; see temper-bench --help).")

    @Argument(parsing: .captureForPassthrough, help: "temper-bench's options (--workload, --python …).")
    var arguments: [String] = []

    func run() throws {
        let program = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("temper-bench").path
        if !FileManager.default.isExecutableFile(atPath: program) { try buildInCheckout(program) }
        var argv = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(program, argv)
        throw ValidationError("could not run \(program): \(String(cString: strerror(errno)))")
    }

    /// In the Temper checkout `temper` was built from (its `.build` folder holds `program`'s
    /// folder), builds temper-bench there once; elsewhere says how.
    private func buildInCheckout(_ program: String) throws {
        let folder = URL(fileURLWithPath: program).deletingLastPathComponent().resolvingSymlinksInPath().path
        let checkout = FileManager.default.currentDirectoryPath
        let built = URL(fileURLWithPath: checkout + "/.build/release").resolvingSymlinksInPath().path
        guard folder == built, FileManager.default.fileExists(atPath: checkout + "/Package.swift") else {
            throw ValidationError("""
                temper bench runs the temper-bench program, which is not built next to temper (\(program)); \
                build it with `swift build -c release --product temper-bench` in the Temper checkout
                """)
        }
        FileHandle.standardError.write(Data("temper: building temper-bench once (swift build -c release --product temper-bench)\n".utf8))
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "-c", "release", "--product", "temper-bench"]
        try build.run()
        build.waitUntilExit()
        guard build.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: program) else {
            throw ValidationError("building temper-bench failed (exit \(build.terminationStatus)); run `swift build -c release --product temper-bench` to see why")
        }
    }
}
