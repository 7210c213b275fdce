/// The shape of a tensor: one extent per axis, row-major (the last axis varies fastest).
///
/// The leading axis may be *symbolic* (written `?`, stored as `Shape.batch`): the batch size,
/// fixed only when a program is compiled for concrete inputs. No other axis may be symbolic.
public struct Shape: Hashable, Codable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The marker for the symbolic leading (batch) dimension, printed as `?`.
    public static let batch = -1

    /// Extents per axis; `dims[0]` may be `Shape.batch`.
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    /// The shape of a scalar: rank 0, one element.
    public static let scalar = Shape([])

    public var rank: Int { dims.count }
    public subscript(axis: Int) -> Int { dims[axis] }

    /// True when the leading axis is the symbolic batch dimension.
    public var hasSymbolicBatch: Bool { dims.first == Shape.batch }

    /// True when every extent is known.
    public var isConcrete: Bool { !dims.contains(Shape.batch) }

    /// Number of elements, or `nil` while the batch dimension is symbolic.
    public var elementCount: Int? { isConcrete ? dims.reduce(1, *) : nil }

    /// Number of elements per batch row: the product of every axis but a symbolic leading one.
    public var elementsPerBatchRow: Int { dims.reduce(1) { $1 == Shape.batch ? $0 : $0 * $1 } }

    /// This shape with a symbolic batch dimension replaced by `batch`.
    public func concretized(batch: Int) -> Shape {
        Shape(dims.map { $0 == Shape.batch ? batch : $0 })
    }

    /// Row-major strides in elements (the last axis has stride 1). Requires a concrete shape.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: rank)
        var running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= Swift.max(dims[axis], 1)
        }
        return strides
    }

    /// `[?, 50]` style: `?` for the symbolic batch dimension.
    public var description: String {
        "[" + dims.map { $0 == Shape.batch ? "?" : String($0) }.joined(separator: ", ") + "]"
    }

    /// Normalizes a possibly negative axis (`-1` is the last axis); `nil` when out of range.
    public func normalizedAxis(_ axis: Int) -> Int? {
        let normalized = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(normalized) ? normalized : nil
    }
}

extension Shape {
    /// NumPy broadcasting: align the shapes on their last axes; each pair of extents must be equal
    /// or one of them 1. A symbolic batch extent broadcasts only against itself or 1.
    /// Returns `nil` (with the offending axis pair) when the shapes are incompatible.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Result<Shape, BroadcastFailure> {
        let rank = Swift.max(a.rank, b.rank)
        var dims = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.rank ? 1 : a.dims[i - (rank - a.rank)]
            let db = i < rank - b.rank ? 1 : b.dims[i - (rank - b.rank)]
            if da == db { dims[i] = da }
            else if da == 1 { dims[i] = db }
            else if db == 1 { dims[i] = da }
            else { return .failure(BroadcastFailure(axis: i - rank, left: da, right: db)) }
        }
        return .success(Shape(dims))
    }

    /// True when `self` broadcasts to `target` (NumPy rules, `self` as the smaller side).
    public func broadcasts(to target: Shape) -> Bool {
        guard rank <= target.rank else { return false }
        let offset = target.rank - rank
        for i in 0..<rank where dims[i] != 1 && dims[i] != target.dims[i + offset] { return false }
        return true
    }
}

/// Why two shapes do not broadcast: the (negative, from the end) axis and the two extents there.
public struct BroadcastFailure: Error, Sendable {
    public let axis: Int
    public let left: Int
    public let right: Int

    var extentsDescription: String {
        func show(_ d: Int) -> String { d == Shape.batch ? "? (batch)" : String(d) }
        return "axis \(axis) has extents \(show(left)) and \(show(right))"
    }
}
