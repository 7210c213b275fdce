import COpenBLAS
import Foundation
import Graph

/// The scalar types the runtime computes in (`Float` for training, `Double` for gradient checks).
/// One generic code path serves both; the conformances bind GEMM to `cblas_sgemm`/`cblas_dgemm`
/// and the transcendental functions to the C library.
public protocol TensorScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// The graph dtype this scalar implements.
    static var dtype: DType { get }

    /// Row-major `C = alpha·op(A)·op(B) + beta·C` with `op(A)` of shape `m×k`, `op(B)` `k×n`.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }

    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }
    @inline(__always) public static func expm1(_ x: Float) -> Float { Foundation.expm1f(x) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }

    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) public static func expm1(_ x: Double) -> Double { Foundation.expm1(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

/// OpenBLAS thread control (`OPENBLAS_NUM_THREADS` sets the default at start-up).
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for GEMM.
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(count)) }
    /// The number of threads OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
