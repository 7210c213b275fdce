/// Eight lanes of a scalar: the unit of the explicitly vectorized kernel loops. Loads and stores
/// are unaligned and explicit, so the compiler needs no alias analysis to keep them in registers.
typealias Vector<T: TensorScalar> = SIMD8<T>

/// Lanes per `Vector`.
let vectorWidth = 8

extension UnsafePointer where Pointee: TensorScalar {
    @inline(__always) func vector(at offset: Int) -> Vector<Pointee> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: Vector<Pointee>.self)
    }
}

extension UnsafeMutablePointer where Pointee: TensorScalar {
    @inline(__always) func vector(at offset: Int) -> Vector<Pointee> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: Vector<Pointee>.self)
    }

    @inline(__always) func store(_ value: Vector<Pointee>, at offset: Int) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: Vector<Pointee>.self)
    }
}

/// A block of columns handled together: 32 lanes (independent dependency chains, so a reduction
/// down the rows is not bound by the add latency), 8 lanes, or one scalar. Kernels written once
/// over `Lanes` run the same arithmetic in the same order per element at every width, so the
/// width never changes a result.
protocol Lanes {
    associatedtype Scalar: TensorScalar
    static var width: Int { get }
    init(repeating: Scalar)
    static func load(_ pointer: UnsafePointer<Scalar>) -> Self
    func store(to pointer: UnsafeMutablePointer<Scalar>)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
}

extension Lanes {
    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Scalar>) -> Self { load(UnsafePointer(pointer)) }
}

/// Four 8-lane vectors side by side (32 columns): four independent dependency chains. (`SIMD32`
/// itself compiles to stack traffic here.)
struct FourVectors<Scalar: TensorScalar>: Lanes {
    var a, b, c, d: SIMD8<Scalar>
    @inline(__always) init(_ a: SIMD8<Scalar>, _ b: SIMD8<Scalar>, _ c: SIMD8<Scalar>, _ d: SIMD8<Scalar>) { (self.a, self.b, self.c, self.d) = (a, b, c, d) }
    @inline(__always) init(repeating value: Scalar) { let v = SIMD8(repeating: value); (a, b, c, d) = (v, v, v, v) }
    @inline(__always) static var width: Int { 32 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Scalar>) -> Self {
        Self(.load(pointer), .load(pointer + 8), .load(pointer + 16), .load(pointer + 24))
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Scalar>) {
        a.store(to: pointer); b.store(to: pointer + 8); c.store(to: pointer + 16); d.store(to: pointer + 24)
    }
    @inline(__always) static func + (x: Self, y: Self) -> Self { Self(x.a + y.a, x.b + y.b, x.c + y.c, x.d + y.d) }
    @inline(__always) static func - (x: Self, y: Self) -> Self { Self(x.a - y.a, x.b - y.b, x.c - y.c, x.d - y.d) }
    @inline(__always) static func * (x: Self, y: Self) -> Self { Self(x.a * y.a, x.b * y.b, x.c * y.c, x.d * y.d) }
}

extension SIMD8: Lanes where Scalar: TensorScalar {
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Scalar>) -> Self { UnsafeRawPointer(pointer).loadUnaligned(as: Self.self) }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Scalar>) { UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self) }
}

/// One scalar as `Lanes`, for the columns left after the vector blocks.
struct OneLane<Scalar: TensorScalar>: Lanes {
    var value: Scalar
    @inline(__always) init(repeating value: Scalar) { self.value = value }
    @inline(__always) static var width: Int { 1 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Scalar>) -> Self { Self(repeating: pointer[0]) }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Scalar>) { pointer[0] = value }
    @inline(__always) static func + (a: Self, b: Self) -> Self { Self(repeating: a.value + b.value) }
    @inline(__always) static func - (a: Self, b: Self) -> Self { Self(repeating: a.value - b.value) }
    @inline(__always) static func * (a: Self, b: Self) -> Self { Self(repeating: a.value * b.value) }
}

/// A computation over one block of columns, written once for every width (`Lanes`).
/// `forEachBlock(of:)` covers `0..<count` with 32-lane blocks while they fit, then 8-lane ones;
/// the last `count % 8` columns are one 8-lane block ending at `count` (overlapping columns
/// already done, which it recomputes to the same values), or single columns when `count < 8` or
/// the block reads what it writes (`readsItsOutput`).
protocol ColumnBlock {
    associatedtype Scalar: TensorScalar
    func callAsFunction<L: Lanes>(_ lanes: L.Type, at column: Int) where L.Scalar == Scalar
    /// True when the block reads what it writes (a reduction adding to its sums so far): the
    /// last columns then go one at a time instead of in an overlapping block.
    var readsItsOutput: Bool { get }
}

extension ColumnBlock {
    var readsItsOutput: Bool { false }

    @inline(__always) func forEachBlock(of count: Int) {
        var j = 0
        while j + 32 <= count { self(FourVectors<Scalar>.self, at: j); j += 32 }
        while j + 8 <= count { self(SIMD8<Scalar>.self, at: j); j += 8 }
        guard j < count else { return }
        if count >= 8 && !readsItsOutput {
            self(SIMD8<Scalar>.self, at: count - 8)
        } else {
            while j < count { self(OneLane<Scalar>.self, at: j); j += 1 }
        }
    }
}

/// Calls `body(rows, continuing)` for the row ranges a column-block kernel walks one after the
/// other: all rows at once when a row is short (up to 64 columns: a block's rows stay in L1), else
/// 8 rows at a time (rows a power of two apart in memory share a cache set, and more than a
/// set's 8 ways of them would be evicted before the next block reads them). `continuing` is false
/// for the first range only: a reduction starts from 0 there and adds the later ranges to its
/// stored sums, rows in the same order as in one pass.
@inline(__always)
func forEachRowChunk(rows: Int, columns: Int, _ body: (Range<Int>, Bool) -> Void) {
    let chunk = columns <= 64 ? Swift.max(rows, 1) : 8
    var start = 0
    repeat {
        let end = Swift.min(start + chunk, rows)
        body(start..<end, start > 0)
        start = end
    } while start < rows
}
