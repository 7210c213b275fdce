import Foundation
import Graph

/// Remembers the result of the pass pipeline by graph structure, roots and options, so sessions
/// over identical graphs (the same model trained with several seeds, say) run the passes once.
/// Entries are matched by full node equality, not only by hash. At most `capacity` entries are
/// kept, the least recently used dropped first.
final class PassCache: @unchecked Sendable {
    static let shared = PassCache(capacity: 64)

    private struct Entry {
        let nodes: [Node]
        let roots: [NodeID]
        let passes: Set<PassName>
        let dtype: DType
        let unit: CompilationUnit
        let records: [PassRecord]
        var lastUse: Int
    }

    private let lock = NSLock()
    private var entries: [Int: [Entry]] = [:]
    private var clock = 0
    private var count = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    private func key(_ graph: Graph, _ roots: [NodeID], _ passes: Set<PassName>) -> Int {
        var hasher = Hasher()
        hasher.combine(graph.dtype)
        hasher.combine(graph.count)
        for node in graph.nodes {
            hasher.combine(node.op)
            hasher.combine(node.inputs)
        }
        hasher.combine(roots)
        hasher.combine(passes)
        return hasher.finalize()
    }

    /// The passed unit for this graph, from the cache or by running `compute`.
    func unit(for graph: Graph, roots: [NodeID], passes: Set<PassName>,
              compute: () throws -> (CompilationUnit, [PassRecord])) rethrows -> (CompilationUnit, [PassRecord]) {
        let k = key(graph, roots, passes)
        lock.lock()
        clock += 1
        if let index = entries[k]?.firstIndex(where: { $0.roots == roots && $0.passes == passes && $0.dtype == graph.dtype && $0.nodes == graph.nodes }) {
            entries[k]![index].lastUse = clock
            let hit = entries[k]![index]
            lock.unlock()
            return (hit.unit, hit.records)
        }
        lock.unlock()
        let (unit, records) = try compute()
        lock.lock()
        defer { lock.unlock() }
        entries[k, default: []].append(Entry(nodes: graph.nodes, roots: roots, passes: passes, dtype: graph.dtype, unit: unit, records: records, lastUse: clock))
        count += 1
        if count > capacity, let oldest = entries.flatMap({ key, list in list.map { (key, $0.lastUse) } }).min(by: { $0.1 < $1.1 }) {
            entries[oldest.0]?.removeAll { $0.lastUse == oldest.1 }
            if entries[oldest.0]?.isEmpty == true { entries[oldest.0] = nil }
            count -= 1
        }
        return (unit, records)
    }
}
