import Tracking

/// Whether a run store changed, without reading it: the stamps (inode, size, modification time)
/// of the SQLite file and its write-ahead log, which every commit changes. Costs two `stat` calls
/// and takes no lock, so polling it never slows a run that is logging.
struct StoreWatch: Sendable {
    let path: String

    /// A value that changes whenever a writer commits.
    func token() -> [FileStamp] { [FileStamp(path), FileStamp(path + "-wal")] }
}
