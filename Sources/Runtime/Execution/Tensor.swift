import Graph

/// A concrete tensor on the host: a shape and row-major values. It is the currency of the
/// convenience API (`Session.run(feeds:fetch:)`); values are kept as `Double` and converted to the
/// graph's dtype when fed. The allocation-free path is `Executable`.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    public var shape: [Int]
    public var scalars: [Double]

    /// A tensor of `shape` with row-major `scalars`; the count must match the shape.
    public init(shape: [Int], _ scalars: [Double]) throws {
        let count = shape.reduce(1, *)
        guard scalars.count == count, !shape.contains(where: { $0 < 0 }) else {
            throw RuntimeError.invalidFeed("a tensor of shape \(shape) needs \(count) values, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A scalar tensor (shape `[]`).
    public init(scalar: Double) {
        self.shape = []
        self.scalars = [scalar]
    }

    init(uncheckedShape shape: [Int], scalars: [Double]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// Number of elements.
    public var count: Int { scalars.count }

    /// The value of a one-element tensor.
    public var scalar: Double? { scalars.count == 1 ? scalars[0] : nil }

    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.6g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(shown)\(scalars.count > 8 ? ", …" : "")])"
    }
}
