import Foundation

/// Files the commands write (reports, exports, JSON results, pictures): never over a run store.
///
/// A path is refused when it is, once symbolic links are resolved, the store file or its `-wal`,
/// `-shm` or `-journal` file, a hard link to one of them, any existing Temper store or one of its
/// companion files, or a directory. A folder that does not exist is a one-line error. A regular
/// file is written atomically (a temporary file renamed into place, on the link's target when the
/// path is a symbolic link, keeping the old file's permissions), so a failed write leaves what
/// was there; a character device or a pipe (`/dev/stdout`, `/dev/null`, a FIFO) is written
/// through, never replaced.
public enum OutputFile {
    /// Writes `text` to `path` after `check(path, store:)`.
    public static func write(_ text: String, to path: String, protecting store: String?) throws {
        try write(Data(text.utf8), to: path, protecting: store)
    }

    /// Writes `value` as pretty-printed JSON with sorted keys (NaN and infinities as the strings
    /// `"NaN"`, `"Infinity"`, `"-Infinity"`) to `path` after `check(path, store:)`.
    public static func writeJSON<T: Encodable>(_ value: T, to path: String, protecting store: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try write(try encoder.encode(value), to: path, protecting: store)
    }

    /// Writes `data` to `path` after `check(path, store:)`.
    public static func write(_ data: Data, to path: String, protecting store: String?) throws {
        let target = try check(path, protecting: store)
        do {
            var info = stat()
            if stat(target, &info) == 0, info.st_mode & S_IFMT == S_IFCHR || info.st_mode & S_IFMT == S_IFIFO {
                guard let handle = FileHandle(forWritingAtPath: target) else { throw CocoaError(.fileWriteNoPermission) }
                defer { try? handle.close() }
                try handle.write(contentsOf: data)
                return
            }
            let existed = stat(target, &info) == 0
            try data.write(to: URL(fileURLWithPath: target), options: .atomic)
            if existed { chmod(target, info.st_mode & 0o7777) }
        } catch {
            throw TrackingError.output("cannot write \(path): \(reason(error))")
        }
    }

    /// Throws when writing `path` would replace the run store whose file is `store` (its path,
    /// as `RunStore.path`), any Temper store or its companion files, or a directory, or when its
    /// folder is missing. Returns the path to write (a link's target).
    @discardableResult
    public static func check(_ path: String, protecting store: String?) throws -> String {
        guard !path.isEmpty else { throw TrackingError.output("the output path is empty; give a file name") }
        let target = resolved(path)
        let folder = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            let given = (path as NSString).deletingLastPathComponent
            throw TrackingError.output("cannot write \(path): the folder \(given.isEmpty ? "." : given) does not exist; create it first or choose another path")
        }
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
            throw TrackingError.output("cannot write \(path): it is a directory; give a file name inside it")
        }
        if let store {
            let storeFile = resolved(store)
            for suffix in ["", "-wal", "-shm", "-journal"] where target == storeFile + suffix || sameFile(target, store + suffix) {
                throw TrackingError.output("refusing to write \(path): it is the run store's file \(store + suffix); choose another output path")
            }
        }
        if isSQLiteDatabase(target) {
            throw TrackingError.output("refusing to write \(path): it is \(isTemperStore(target) ? "a Temper run store" : "a SQLite database"); choose another output path")
        }
        for suffix in ["-wal", "-shm", "-journal"] where target.hasSuffix(suffix) && isSQLiteDatabase(String(target.dropLast(suffix.count))) {
            throw TrackingError.output("refusing to write \(path): it is the \(suffix.dropFirst()) file of the database \(target.dropLast(suffix.count)); choose another output path")
        }
        return target
    }

    /// The absolute path with every symbolic link resolved — of the file when it exists, else of
    /// its folder (the file's name kept).
    static func resolved(_ path: String) -> String {
        let absolute = StoreFile.absolutePath(path)
        if let real = realPath(absolute) { return real }
        let folder = (absolute as NSString).deletingLastPathComponent
        let name = (absolute as NSString).lastPathComponent
        return ((realPath(folder) ?? folder) as NSString).appendingPathComponent(name)
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Whether both paths exist and are the same file (hard links included).
    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// Whether `path` is a SQLite file with Temper's application id (bytes 68–71, big-endian).
    static func isTemperStore(_ path: String) -> Bool {
        guard let header = header(path), header.count == 72 else { return false }
        let id = header[68..<72].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return id == UInt32(bitPattern: SQLiteEngine.applicationID)
    }

    /// Whether `path` is a regular file that starts like a SQLite database (a Temper store whose
    /// application id is still in its write-ahead log among them).
    static func isSQLiteDatabase(_ path: String) -> Bool { header(path) != nil }

    /// The first 72 bytes (or fewer) of a regular file that starts like SQLite, else nil.
    private static func header(_ path: String) -> Data? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 72), header.count >= 16, header.prefix(16) == Data("SQLite format 3\0".utf8) else { return nil }
        return header
    }

    /// A Foundation or POSIX error in a few words ("No such file or directory").
    public static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
            case .fileWriteOutOfSpace: return "disk full"
            case .fileWriteVolumeReadOnly: return "read-only file system"
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
