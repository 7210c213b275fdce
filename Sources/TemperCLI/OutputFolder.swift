import ArgumentParser
import Foundation
import Tracking

/// The folder a command writes its figures and JSON into, checked before anything trains: in two
/// steps, so that a store that cannot be opened (between them) leaves no folder behind.
enum OutputFolder {
    /// Refuses a folder that is a file.
    static func refuseFile(_ folder: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out \(folder) is a file; the figures go into a folder")
        }
    }

    /// Creates the folder, checks every file the command will write (not a store, not a folder)
    /// and that each file's folder is writable.
    static func prepare(_ folder: String, files: [String], protecting store: String?) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the folder \(folder): \(OutputFile.reason(error))")
        }
        for file in files { try OutputFile.check(file, protecting: store) }
        for directory in Set(files.map { ($0 as NSString).deletingLastPathComponent }).map({ $0.isEmpty ? "." : $0 }).sorted()
        where !FileManager.default.isWritableFile(atPath: directory) {
            throw ValidationError("cannot write into \(directory): permission denied; choose another folder with --out")
        }
    }
}
