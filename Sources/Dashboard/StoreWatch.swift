import Foundation

/// Whether a run store changed, without reading it: the size and modification time of the
/// SQLite file and its write-ahead log, which every commit changes. Costs two `stat` calls and
/// takes no lock, so polling it never slows a run that is logging.
struct StoreWatch: Sendable {
    let path: String

    /// A value that changes whenever a writer commits.
    func token() -> String {
        [path, path + "-wal"].map { file -> String in
            var info = stat()
            guard stat(file, &info) == 0 else { return "-" }
            return "\(info.st_size).\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }.joined(separator: "/")
    }
}
