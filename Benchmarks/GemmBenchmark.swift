import Runtime

/// Raw OpenBLAS GEMM speed for a list of product shapes (the GEMMs of a training step), the
/// ceiling a step's effective GFLOPS is compared with.
public enum GemmBenchmark {
    /// One product `op(A)·op(B)`: `m×k` times `k×n`.
    public struct Product: Sendable {
        public var m: Int, n: Int, k: Int
        public var transposeA: Bool, transposeB: Bool
    }

    /// The nine GEMMs of a dense layer stack's step: per layer, forward `x·W`, input gradient
    /// `dy·Wᵀ` (not for the first layer's input… included anyway, as PyTorch computes it) and weight
    /// gradient `xᵀ·dy`.
    public static func trainingProducts(batch: Int, sizes: [Int]) -> [Product] {
        var products: [Product] = []
        for (fanIn, fanOut) in zip(sizes, sizes.dropFirst()) {
            products.append(Product(m: batch, n: fanOut, k: fanIn, transposeA: false, transposeB: false))
            products.append(Product(m: batch, n: fanIn, k: fanOut, transposeA: false, transposeB: true))
            products.append(Product(m: fanIn, n: fanOut, k: batch, transposeA: true, transposeB: false))
        }
        return products
    }

    /// GFLOPS of `sgemm` over all `products` (2·m·n·k flops each), median of the repetitions.
    public static func sgemmGFLOPS(_ products: [Product], iterations: Int = 10, repetitions: Int = 5) -> Double {
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
        let flops = products.reduce(0.0) { $0 + 2 * Double($1.m * $1.n * $1.k) }
        let seconds = Stopwatch.medianSecondsPerCall(repetitions: repetitions, iterations: iterations) {
            for (p, (a, b, c)) in zip(products, buffers) {
                Float.gemm(transposeA: p.transposeA, transposeB: p.transposeB, m: p.m, n: p.n, k: p.k, alpha: 1,
                           a: a, lda: p.transposeA ? p.m : p.k, b: b, ldb: p.transposeB ? p.k : p.n, beta: 0, c: c, ldc: p.n)
            }
        }
        return flops / seconds / 1e9
    }
}
