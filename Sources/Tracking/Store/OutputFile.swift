import Foundation

/// Files the commands write (reports, exports, JSON results, pictures): never over a run store.
///
/// A path is refused when it is, once symbolic links are resolved, the store file or its `-wal`,
/// `-shm` or `-journal` file, a hard link to one of them, or any existing Temper store. A folder
/// that does not exist is a one-line error. Files are written atomically (a temporary file renamed
/// into place), so a failed write leaves what was there.
public enum OutputFile {
    /// Writes `text` to `path` after `check(path, store:)`.
    public static func write(_ text: String, to path: String, protecting store: String?) throws {
        try write(Data(text.utf8), to: path, protecting: store)
    }

    /// Writes `data` to `path` after `check(path, store:)`.
    public static func write(_ data: Data, to path: String, protecting store: String?) throws {
        try check(path, protecting: store)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TrackingError.output("cannot write \(path): \(reason(error))")
        }
    }

    /// Throws when writing `path` would replace the run store whose file is `store` (its path,
    /// as `RunStore.path`), or any Temper store, or when its folder is missing.
    public static func check(_ path: String, protecting store: String?) throws {
        let target = resolved(path)
        let folder = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrackingError.output("cannot write \(path): the folder \((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent) does not exist; create it first or choose another path")
        }
        if let store {
            let storeFile = resolved(store)
            for suffix in ["", "-wal", "-shm", "-journal"] where target == storeFile + suffix || sameFile(target, store + suffix) {
                throw TrackingError.output("refusing to write \(path): it is the run store's file \(store + suffix); choose another output path")
            }
        }
        if isTemperStore(target) {
            throw TrackingError.output("refusing to write \(path): it is a Temper run store; choose another output path")
        }
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
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 72), header.count == 72, header.prefix(16) == Data("SQLite format 3\0".utf8) else { return false }
        let id = header[68..<72].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return id == UInt32(bitPattern: RunStore.applicationID)
    }

    /// A Foundation or POSIX error in a few words ("No such file or directory").
    public static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }
}
