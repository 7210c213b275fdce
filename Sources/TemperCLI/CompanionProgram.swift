import ArgumentParser
import Foundation

/// A program built beside `temper` that a `temper` subcommand hands over to (`temper-bench`,
/// which links an interposed `malloc`; `temper-dashboard`, which links a web server): `temper`
/// itself builds without them.
struct CompanionProgram {
    let name: String

    /// Replaces this process with the program, given `arguments`; builds it first, once, when
    /// `temper` runs from a Temper checkout's `.build/release`.
    func exec(_ arguments: [String]) throws -> Never {
        let program = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name).path
        if !FileManager.default.isExecutableFile(atPath: program) { try buildInCheckout(program) }
        var argv = ([program] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(program, argv)
        throw ValidationError("could not run \(program): \(String(cString: strerror(errno)))")
    }

    /// In the Temper checkout `temper` was built from (its `.build` folder holds `program`'s
    /// folder), builds the program there once; elsewhere says how.
    private func buildInCheckout(_ program: String) throws {
        let folder = URL(fileURLWithPath: program).deletingLastPathComponent().resolvingSymlinksInPath().path
        let checkout = FileManager.default.currentDirectoryPath
        let built = URL(fileURLWithPath: checkout + "/.build/release").resolvingSymlinksInPath().path
        guard folder == built, FileManager.default.fileExists(atPath: checkout + "/Package.swift") else {
            throw ValidationError("""
                this command runs the \(name) program, which is not built next to temper (\(program)); \
                build it with `swift build -c release --product \(name)` in the Temper checkout
                """)
        }
        FileHandle.standardError.write(Data("temper: building \(name) once (swift build -c release --product \(name))\n".utf8))
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "-c", "release", "--product", name]
        try build.run()
        build.waitUntilExit()
        guard build.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: program) else {
            throw ValidationError("building \(name) failed (exit \(build.terminationStatus)); run `swift build -c release --product \(name)` to see why")
        }
    }
}
