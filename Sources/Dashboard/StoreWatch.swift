import Tracking

/// Whether a run store changed, without reading what it holds: the engine's change token (for
/// SQLite the stamps of the file and its write-ahead log, two `stat` calls and no lock, so polling
/// never slows a run that is logging; for PostgreSQL one small query).
struct StoreWatch: Sendable {
    let store: RunStore

    /// A value that changes whenever a writer commits (a store out of reach reads as one value,
    /// so a page is not told to reload while it stays so).
    func token() -> String { (try? store.changeToken()) ?? "unreachable" }
}
