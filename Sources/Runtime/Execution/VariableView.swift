/// A session variable's current values, read in place (see `Session.view(of:)`). The values
/// change as the session trains; the view keeps the session's storage alive.
public struct VariableView {
    /// The storage (kept alive), and exactly one of the two pointers.
    @usableFromInline let owner: AnyObject
    @usableFromInline let floats: UnsafePointer<Float>?
    @usableFromInline let doubles: UnsafePointer<Double>?
    /// Number of scalars (row-major).
    public let count: Int

    /// Calls `body` with the values as `Float`s: in place for a float32 session (no copy; valid
    /// only inside `body`), converted into a temporary buffer for a float64 one.
    @inlinable
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let floats { return try body(UnsafeBufferPointer(start: floats, count: count)) }
        return try convertedFloats().withUnsafeBufferPointer(body)
    }

    /// A copy of the values as `Float`s.
    public var copiedFloats: [Float] { withFloats { Array($0) } }

    @usableFromInline
    func convertedFloats() -> [Float] {
        guard let doubles else { return [] }
        return (0..<count).map { Float(doubles[$0]) }
    }
}
