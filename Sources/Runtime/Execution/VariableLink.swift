import Graph

/// Every variable of one trial of a session paired with its namesake in one trial of another
/// session (same names, sizes and dtype), looked up once: `pull()` copies the first into the
/// second and `push()` back, each a plain copy per variable (no lookups). How a model trained as
/// one trial of many (`Sequential.fitTogether`) keeps its own session in step with the group's.
public final class VariableLink {
    private let owners: (AnyObject, AnyObject)
    /// (group's copy, other's copy, bytes) per variable.
    private let pairs: [(UnsafeMutableRawPointer, UnsafeMutableRawPointer, Int)]

    public init(_ group: Session, trial: Int, with other: Session, trial otherTrial: Int) throws {
        try group.checkTrial(trial)
        try other.checkTrial(otherTrial)
        owners = (group, other)
        switch (group.storage, other.storage) {
        case (.float32(let a), .float32(let b)): pairs = try Self.pairs(a, trial, b, otherTrial)
        case (.float64(let a), .float64(let b)): pairs = try Self.pairs(a, trial, b, otherTrial)
        default: throw RuntimeError.dtypeMismatch("variables are linked between sessions of one dtype, not \(group.graph.dtype) and \(other.graph.dtype)")
        }
    }

    private static func pairs<T>(_ from: VariableStore<T>, _ fromTrial: Int, _ to: VariableStore<T>, _ toTrial: Int) throws
        -> [(UnsafeMutableRawPointer, UnsafeMutableRawPointer, Int)] {
        try from.entries.sorted { $0.key < $1.key }.map { name, source in
            guard let target = to.entries[name], target.count == source.count else {
                throw RuntimeError.invalidFeed("variable \"\(name)\" has no \(source.count)-element counterpart in the other session")
            }
            return (UnsafeMutableRawPointer(source.pointer(trial: fromTrial)), UnsafeMutableRawPointer(target.pointer(trial: toTrial)),
                    source.count * MemoryLayout<T>.stride)
        }
    }

    /// Copies the group trial's variables into the other session's trial.
    public func pull() {
        for (group, other, bytes) in pairs { other.copyMemory(from: group, byteCount: bytes) }
    }

    /// Copies the other session's trial's variables into the group trial.
    public func push() {
        for (group, other, bytes) in pairs { group.copyMemory(from: other, byteCount: bytes) }
    }
}
