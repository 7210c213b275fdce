import Foundation
import GRDB

/// Finding, checking and opening the store's SQLite file.
enum StoreFile {
    /// `path` made absolute against the working directory and normalized (so that the store's
    /// path is one string per file, and never taken for an SQLite URI).
    static func absolutePath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (absolute as NSString).standardizingPath
    }

    /// A store that must exist does.
    static func checkExists(directory: String, path: String) throws {
        if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path), !FileManager.default.fileExists(atPath: path) {
            throw TrackingError.storeLocation("\(path) is a symbolic link to \(destination), which does not exist; fix or remove the link, or pass --dir for another store")
        }
        var isDirectory: ObjCBool = false
        if directory.isEmpty {
            throw TrackingError.storeLocation("the store directory is empty (--dir '' or TEMPER_DIR=''); name the folder that holds \(RunStore.fileName)")
        }
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            let folder = (directory as NSString).deletingLastPathComponent
            throw TrackingError.storeLocation("\(directory) is a file, not the store's folder; pass the folder that holds \(RunStore.fileName)"
                + ((directory as NSString).lastPathComponent == RunStore.fileName ? " (--dir \(folder.isEmpty ? "." : folder))" : ""))
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrackingError.storeLocation("no run store in \(directory) (no \(RunStore.fileName)); runs are recorded there by `temper casestudy batchnorm` or `Tracker(dir:)`; pass --dir or set TEMPER_DIR to read another directory")
        }
    }

    /// The store directory, created when absent.
    static func makeDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw TrackingError.storeLocation("\(directory) is a file, not a directory; pass --dir (or TEMPER_DIR) naming a directory for the run store")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TrackingError.storeLocation("cannot create \(directory): \(OutputFile.reason(error))")
        }
    }

    /// A file at the store path must be a regular file (symbolic links followed) that starts like
    /// a SQLite database; read-only, an empty one is no store either (read-write, an empty file
    /// becomes one: nothing is lost).
    static func checkExistingFile(_ path: String, access: RunStore.Access) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw TrackingError.storeLocation("\(path) is not a regular file (it is \(fileKind(info.st_mode))); move it away or pass --dir for another store")
        }
        if info.st_size == 0 {
            if access == .readOnly {
                throw TrackingError.foreignStore("\(path) is an empty file, not a Temper run store; runs are recorded by `temper casestudy batchnorm` or `Tracker(dir:)`")
            }
            return
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrackingError.storeLocation("cannot read \(path): permission denied; ask its owner for read access or pass --dir for another store")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        guard header.count == 16, header == Data("SQLite format 3\0".utf8) else {
            throw TrackingError.corruptStore("\(path) is not a SQLite database (it starts with \(header.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " "))); move it away or pass --dir for another store")
        }
    }

    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a pipe"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// Opens the file read-only: nothing is written, no journal is created, the journal mode and
    /// schema are left as they are. While no process has the store open (no `-wal` file), it is
    /// read as an immutable file, so a reader leaves no `-shm`/`-wal` files behind either (files a
    /// reader of another user would own, and the store's owner then could not write). While a
    /// writer has it open, the reader shares the writer's `-wal` and `-shm` and sees every
    /// committed row, without waiting for the writer's lock.
    static func openReadOnly(path: String, busyTimeout: TimeInterval, immutableAllowed: Bool = true) throws -> DatabaseQueue {
        try openReadOnlyNoting(path: path, busyTimeout: busyTimeout, immutableAllowed: immutableAllowed).queue
    }

    /// `openReadOnly`, and whether it opened the file as immutable.
    static func openReadOnlyNoting(path: String, busyTimeout: TimeInterval, immutableAllowed: Bool = true) throws -> (queue: DatabaseQueue, immutable: Bool) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "temper-run-store-reader"
        let manager = FileManager.default
        if immutableAllowed {
            // A rollback journal beside the file: a writer is creating the store (for a moment,
            // before it switches to WAL), or one was interrupted mid-write.
            let deadline = Date().addingTimeInterval(2)
            while manager.fileExists(atPath: path + "-journal") {
                guard Date() < deadline else {
                    throw TrackingError.storeLocation("\(path) was left in the middle of a write (\(path)-journal exists); a writing command (`temper casestudy …`) rolls it back, or sqlite3 when it opens the file")
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        if immutableAllowed && usesURIs && !manager.fileExists(atPath: path + "-wal") {
            return (try DatabaseQueue(path: immutableURI(path), configuration: configuration), true)
        }
        do {
            return (try DatabaseQueue(path: path, configuration: configuration), false)
        } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM].contains(error.resultCode) {
            throw TrackingError.storeLocation("cannot read \(path) (\(error.message ?? "\(error.resultCode)")): a process is writing it and this user may not share its -shm file; read it as the store's owner, or when no run is being logged")
        }
    }

    /// A store about to be opened to write must be this user's to write (its file and folder):
    /// otherwise SQLite would leave `-wal` and `-shm` files of this user beside it, which the
    /// store's owner could then not write.
    static func checkWritable(path: String, directory: String) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        if exists && access(path, R_OK | W_OK) != 0 || access(directory, W_OK | X_OK) != 0 {
            throw TrackingError.storeLocation("cannot write runs to \(path): this user may not write \(exists && access(path, W_OK) != 0 ? "the store file" : "its folder \(directory)"); `temper runs` and `temper report` can still read it, or pass --dir for a store of your own")
        }
    }

    /// Whether this SQLite takes `file:` URIs as file names (Debian's is built so).
    private static let usesURIs: Bool = (try? DatabaseQueue().read { try Bool.fetchOne($0, sql: "SELECT sqlite_compileoption_used('USE_URI')") } ?? false) ?? false

    /// An SQLite URI that opens `path` read-only as a file no one changes.
    private static func immutableURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?mode=ro&immutable=1"
    }

    /// Opens the file to read and write, in WAL mode. Switching a new store to WAL
    /// (`PRAGMA journal_mode`) needs a lock SQLite does not wait for, so when several processes
    /// open a new store at once it can fail with "database is locked": then it is tried again, for
    /// up to `busyTimeout` seconds.
    static func openReadWrite(path: String, busyTimeout: TimeInterval) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "temper-run-store"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        let deadline = Date().addingTimeInterval(busyTimeout)
        var pause = 0.005
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && Date() < deadline {
                Thread.sleep(forTimeInterval: pause)
                pause = Swift.min(pause * 2, 0.2)
            }
        }
    }

    /// The error of a failed open, in words.
    static func openError(_ error: DatabaseError, path: String) -> TrackingError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .corruptStore("\(path) is not a readable SQLite database (\(error.message ?? "\(error.resultCode)")); move it away or pass --dir for another store")
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return .storeLocation("cannot open \(path) to write runs (\(error.message ?? "\(error.resultCode)")); this user may only read it: `temper runs` and `temper report` still work, or pass --dir for a store of your own")
        default:
            return .database("cannot open \(path): \(error)")
        }
    }
}
