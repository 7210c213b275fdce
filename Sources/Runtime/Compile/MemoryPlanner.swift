/// Liveness-based placement of intermediate values in one arena (the `plan-memory` pass).
///
/// Values are visited in execution order. A value's block is freed after its last reader runs and
/// is reused by later values (best fit); an elementwise op may write over an input whose last
/// reader it is, when that input has the output's shape (so each element is read before it is
/// written at the same index). Fetched values live to the end. With planning off, every value
/// gets its own block — the "one buffer per node" baseline the compile report compares against.
struct MemoryPlanner {
    /// One value to place: its size in elements, when it is defined and last read.
    struct Value {
        var size: Int
        var definedAt: Int
        var lastUse: Int
        /// Values (by index) this one may overwrite in place, if it is their last reader.
        var inPlaceCandidates: [Int]
    }

    struct Plan {
        /// Offset in elements of each value.
        var offsets: [Int]
        /// Arena size in elements.
        var arenaSize: Int
        /// What one buffer per value would need, in elements.
        var unplannedSize: Int
        /// Values written over one of their inputs.
        var inPlaceCount: Int
    }

    /// Offsets are multiples of this many elements (64 bytes for `Float`).
    static let alignment = 16

    static func aligned(_ size: Int) -> Int { (Swift.max(size, 1) + alignment - 1) / alignment * alignment }

    /// Places `values` (indexed in definition order). With `enabled` false, blocks are never shared.
    static func plan(_ values: [Value], enabled: Bool) -> Plan {
        let unplanned = values.reduce(0) { $0 + aligned($1.size) }
        guard enabled else {
            var offsets: [Int] = []
            var end = 0
            for value in values {
                offsets.append(end)
                end += aligned(value.size)
            }
            return Plan(offsets: offsets, arenaSize: end, unplannedSize: unplanned, inPlaceCount: 0)
        }
        var offsets = [Int](repeating: 0, count: values.count)
        var free: [(offset: Int, size: Int)] = []
        var end = 0
        var inPlace = 0
        var live: [Int] = []              // values holding a block, not yet released
        var transferred = Set<Int>()      // values whose block a later value took over
        for (index, value) in values.enumerated() {
            let size = aligned(value.size)
            let p = value.definedAt
            // Blocks of values whose last reader ran before `p` are free again.
            let (dead, stillLive) = (live.filter { values[$0].lastUse < p }, live.filter { values[$0].lastUse >= p })
            if !dead.isEmpty {
                for released in dead where !transferred.contains(released) {
                    free.append((offsets[released], aligned(values[released].size)))
                }
                coalesce(&free)
            }
            live = stillLive
            if let candidate = value.inPlaceCandidates.first(where: {
                values[$0].lastUse == p && aligned(values[$0].size) == size && !transferred.contains($0) && live.contains($0)
            }) {
                offsets[index] = offsets[candidate]
                transferred.insert(candidate)
                inPlace += 1
            } else if let best = free.indices.filter({ free[$0].size >= size }).min(by: { free[$0].size < free[$1].size }) {
                offsets[index] = free[best].offset
                if free[best].size == size {
                    free.remove(at: best)
                } else {
                    free[best].offset += size
                    free[best].size -= size
                }
            } else {
                offsets[index] = end
                end += size
            }
            live.append(index)
        }
        return Plan(offsets: offsets, arenaSize: end, unplannedSize: unplanned, inPlaceCount: inPlace)
    }

    private static func coalesce(_ free: inout [(offset: Int, size: Int)]) {
        free.sort { $0.offset < $1.offset }
        var merged: [(offset: Int, size: Int)] = []
        for block in free {
            if let last = merged.last, last.offset + last.size == block.offset {
                merged[merged.count - 1].size += block.size
            } else {
                merged.append(block)
            }
        }
        free = merged
    }
}
