import Runtime
import Workloads

/// Raw OpenBLAS GEMM speed for the products of a training step: the ceiling a step's GFLOPS is
/// compared with.
public enum GemmBenchmark {
    /// GFLOPS of `sgemm` running all `products` back to back (median over repetitions).
    public static func sgemmGFLOPS(_ products: [GemmShape], iterations: Int = 10, repetitions: Int = 5) -> Double {
        var random = SeededRandom(seed: 3)
        let buffers = products.map { p -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) in
            let a = UnsafeMutablePointer<Float>.allocate(capacity: p.m * p.k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: p.k * p.n)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: p.m * p.n)
            for i in 0..<(p.m * p.k) { a[i] = Float(random.normal()) }
            for i in 0..<(p.k * p.n) { b[i] = Float(random.normal()) }
            c.initialize(repeating: 0, count: p.m * p.n)
            return (a, b, c)
        }
        defer { for (a, b, c) in buffers { a.deallocate(); b.deallocate(); c.deallocate() } }
        let flops = products.reduce(0.0) { $0 + $1.flops }
        let seconds = Stopwatch.medianSecondsPerCall(repetitions: repetitions, iterations: iterations) {
            for (p, (a, b, c)) in zip(products, buffers) {
                Float.gemm(transposeA: p.transposeA, transposeB: p.transposeB, m: p.m, n: p.n, k: p.k, alpha: 1,
                           a: a, lda: p.transposeA ? p.m : p.k, b: b, ldb: p.transposeB ? p.k : p.n, beta: 0, c: c, ldc: p.n)
            }
        }
        return flops / seconds / 1e9
    }
}
