import COpenBLAS
import Foundation
import Graph

/// The scalar types the runtime computes in (`Float` for training, `Double` for gradient checks).
/// One generic code path serves both; the conformances bind GEMM to `cblas_sgemm`/`cblas_dgemm`
/// and the transcendental functions to the C library (except `Float`'s `exp` and `log1p`: `FloatMath`).
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable where Self.RawSignificand: FixedWidthInteger {
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

    /// `FloatMath.exp`: inline arithmetic that loops vectorize, within 1 ulp of the C library's.
    @inline(__always) public static func exp(_ x: Float) -> Float { FloatMath.exp(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    /// `FloatMath.log1p`: inline arithmetic that loops vectorize, within 1 ulp of the C library's.
    @inline(__always) public static func log1p(_ x: Float) -> Float { FloatMath.log1p(x) }
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

/// OpenBLAS controls: threads, and the kernel set ("core") it picked for this CPU.
public enum BLAS {
    /// The most threads `setThreads` asks OpenBLAS for.
    public static let maximumThreads = 1024

    /// Sets the number of threads OpenBLAS uses for GEMM (`OPENBLAS_NUM_THREADS` sets it at
    /// start-up), clamped to 1…`maximumThreads` (commands reject other values with a message first).
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(Swift.min(Swift.max(count, 1), maximumThreads))) }

    /// The number of threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel set OpenBLAS chose at start-up, e.g. `SkylakeX`, `Haswell`, `Prescott`.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The `OPENBLAS_CORETYPE` to start with when OpenBLAS did not recognise this CPU and fell
    /// back to a generic SSE kernel although the CPU has AVX-512 (`SkylakeX`) or AVX2 (`Haswell`),
    /// which is what OpenBLAS 0.3.21 (Debian 12) does on CPUs newer than itself. `nil` when the
    /// core is fine or `OPENBLAS_CORETYPE` is already set. OpenBLAS reads the variable when it is
    /// loaded, so a process applies it by re-executing itself (`temper` does).
    public static func recommendedCoreType(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        let generic: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine", "Northwood", "Banias", "Atom"]
        guard generic.contains(coreName) else { return nil }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// Applies `recommendedCoreType()` to this process: sets `OPENBLAS_CORETYPE` and re-executes
    /// the program once (OpenBLAS reads it only when loaded); returns when nothing is to be done,
    /// or when re-executing failed (the generic kernels then stay). For a program's `main`.
    public static func reexecuteWithRecommendedCoreType() {
        guard let core = recommendedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv("/proc/self/exe", arguments)
        // execv only returns on failure: carry on with the generic kernels.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
