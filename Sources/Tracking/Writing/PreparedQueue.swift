/// Prepared rows waiting to be written, in pieces of bounded size. Normally one transaction takes
/// them all; after a failed write (the disk full, the file damaged) each transaction takes one
/// piece, so that as soon as some space returns, rows go in piece by piece: nothing buffered is
/// lost, and no transaction grows with the backlog.
struct PreparedQueue {
    /// A piece takes further rounds of rows until it holds about this many bytes of JSON.
    static let pieceBytes = 256 * 1024
    /// A transaction takes pieces up to this many bytes (always at least one piece).
    static let transactionBytes = 4 * 1024 * 1024

    private(set) var pieces: [PreparedRows] = []
    private var lastPieceBytes = 0

    var isEmpty: Bool { pieces.isEmpty }

    mutating func append(_ rows: PreparedRows) {
        guard !rows.isEmpty else { return }
        if !pieces.isEmpty && lastPieceBytes < Self.pieceBytes {
            pieces[pieces.count - 1].append(rows)
            lastPieceBytes += rows.byteCount
        } else {
            pieces.append(rows)
            lastPieceBytes = rows.byteCount
        }
    }

    /// How many pieces from the front the next transaction writes: as many as fit in
    /// `transactionBytes`, or one after a failure.
    func batchSize(afterFailure: Bool) -> Int {
        guard !afterFailure else { return Swift.min(1, pieces.count) }
        var bytes = 0, count = 0
        for piece in pieces {
            bytes += piece.byteCount
            if count > 0 && bytes > Self.transactionBytes { break }
            count += 1
        }
        return count
    }

    mutating func removeFirst(_ count: Int) {
        pieces.removeFirst(count)
        if pieces.isEmpty { lastPieceBytes = 0 }
    }

    /// What is still unwritten, in words ("312 history rows (steps 12–5000), 4 988 histograms").
    var unwrittenDescription: String {
        guard !pieces.isEmpty else { return "nothing logged yet" }
        let steps = pieces.flatMap { $0.history.map(\.step) + $0.histograms.map(\.step) }
        let history = pieces.reduce(0) { $0 + $1.history.count }, histograms = pieces.reduce(0) { $0 + $1.histograms.count }
        let system = pieces.reduce(0) { $0 + $1.system.count }
        var parts = ["\(history) history row\(history == 1 ? "" : "s")", "\(histograms) histogram row\(histograms == 1 ? "" : "s")"]
        if system > 0 { parts.append("\(system) system samples") }
        let range = steps.min().map { low in " (steps \(low)–\(steps.max() ?? low))" } ?? ""
        return parts.joined(separator: ", ") + range
    }
}
