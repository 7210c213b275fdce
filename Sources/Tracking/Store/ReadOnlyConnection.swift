import Foundation
import GRDB

/// A store's read-only connection that follows the file. While no process has the store open it
/// is read as an immutable file (nothing is created beside it), and SQLite then never looks for
/// changes: so before each read the file is compared with what was opened (its size, time and
/// inode, and whether a writer's `-wal` appeared), and the connection is opened again when it
/// changed — sharing the writer's log while there is one. A reader that lives long (the
/// dashboard) thus sees runs logged after it started.
final class ReadOnlyConnection: @unchecked Sendable {
    let path: String
    let busyTimeout: TimeInterval
    private let lock = NSLock()
    private var queue: DatabaseQueue
    /// The file as it was when opened immutable; nil while sharing a writer's log.
    private var openedAs: FileStamp?

    init(path: String, busyTimeout: TimeInterval) throws {
        self.path = path
        self.busyTimeout = busyTimeout
        (queue, openedAs) = try Self.open(path, busyTimeout: busyTimeout)
    }

    /// The connection to read with, opened again first if the file changed under an immutable
    /// one. The reopen happens outside the lock; if it fails while the main file itself is as it
    /// was (a writer only started its log), the last snapshot is still served.
    func current() throws -> DatabaseQueue {
        lock.lock()
        let (queue, openedAs) = (self.queue, self.openedAs)
        lock.unlock()
        guard let openedAs, Self.changed(path, since: openedAs) else { return queue }
        let reopened: (DatabaseQueue, FileStamp?)
        do {
            reopened = try Self.open(path, busyTimeout: busyTimeout)
        } catch {
            if FileStamp(path) == openedAs { return queue }
            throw error
        }
        lock.lock()
        (self.queue, self.openedAs) = reopened
        lock.unlock()
        return reopened.0
    }

    /// Whether the file changed since the connection was opened immutable (a read that failed
    /// then may have met a writer's changes halfway, and is worth one more try).
    var isStale: Bool {
        lock.lock()
        defer { lock.unlock() }
        return openedAs.map { Self.changed(path, since: $0) } ?? false
    }

    private static func changed(_ path: String, since stamp: FileStamp) -> Bool {
        FileStamp.exists(path + "-wal") || FileStamp(path) != stamp
    }

    private static func open(_ path: String, busyTimeout: TimeInterval) throws -> (DatabaseQueue, FileStamp?) {
        let stamp = FileStamp(path)
        let (queue, immutable) = try StoreFile.openReadOnlyNoting(path: path, busyTimeout: busyTimeout)
        return (queue, immutable ? stamp : nil)
    }
}

/// What identifies a file's contents without reading it: inode, size and modification time.
public struct FileStamp: Equatable, Sendable {
    public private(set) var inode: UInt64 = 0, size: Int64 = -1, seconds: Int = 0, nanoseconds: Int = 0

    /// The file's stamp; size −1 when there is no file.
    public init(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        seconds = info.st_mtim.tv_sec
        nanoseconds = info.st_mtim.tv_nsec
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}
