/// Matrix products on row-major buffers. Large products go to OpenBLAS (sgemm/dgemm with the
/// transpose flags: no transposed copy is ever made); tiny ones and matrix-vector products
/// (`n = 1`), where BLAS' fixed cost dominates, run in simple vectorizable loops.
enum Gemm {
    /// Products with at most this many multiply-adds (or with `k ≤ 16`, where BLAS' packing costs
    /// more than the arithmetic) use the built-in loop.
    static let smallProductLimit = 4096

    /// `C = alpha·op(A)·op(B) + beta·C` where `op(A)` is `m×k` and `op(B)` is `k×n`; `A` is stored as
    /// `m×k` (or `k×m` when transposed), `B` as `k×n` (or `n×k`), `C` as `m×n`, all densely.
    @inline(__always)
    static func multiply<T: TensorScalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                          a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<T>, beta: T) {
        if isSmall(m: m, n: n, k: k) {
            small(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, c: c, beta: beta)
            return
        }
        T.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
               a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: beta, c: c, ldc: n)
    }

    @inline(__always)
    static func small<T: TensorScalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                       a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<T>, beta: T) {
        if n == 1 {
            // Matrix-vector: B(p, 0) = b[p] in both layouts.
            if transposeA {
                // A(i, p) = a[p·m + i]: accumulate columns of the stored matrix.
                if beta == 0 { c.update(repeating: 0, count: m) } else if beta != 1 { for i in 0..<m { c[i] *= beta } }
                for p in 0..<k {
                    let column = a + p * m, bValue = alpha * b[p]
                    for i in 0..<m { c[i] += column[i] * bValue }
                }
            } else {
                let body = k - k % vectorWidth
                for i in 0..<m {
                    let row = a + i * k
                    var lanes = Vector<T>()
                    for p in stride(from: 0, to: body, by: vectorWidth) { lanes += row.vector(at: p) * b.vector(at: p) }
                    var total = lanes.sum()
                    for p in body..<k { total += row[p] * b[p] }
                    c[i] = beta == 0 ? alpha * total : beta * c[i] + alpha * total
                }
            }
            return
        }
        for i in 0..<m {
            let row = c + i * n
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { row[j] *= beta }
            }
            accumulateRow(i, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, row: row)
        }
    }

    /// True when `multiply` uses the built-in loops for this product.
    @inline(__always)
    static func isSmall(m: Int, n: Int, k: Int) -> Bool { n == 1 || k <= 16 || m * n * k <= smallProductLimit }

    /// `row += alpha · op(A)[i, :] · op(B)`: one output row, as axpys over the rows of `op(B)`
    /// (8 lanes at a time when they are contiguous).
    @inline(__always)
    static func accumulateRow<T: TensorScalar>(_ i: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                              a: UnsafePointer<T>, b: UnsafePointer<T>, row: UnsafeMutablePointer<T>) {
        // A(i, p) and B(p, j) in terms of the stored layouts.
        let aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1
        let bRow = transposeB ? 1 : n, bCol = transposeB ? k : 1
        for p in 0..<k {
            let aValue = alpha * a[i * aRow + p * aCol]
            let bBase = b + p * bRow
            if bCol == 1 {
                for j in 0..<n { row[j] += aValue * bBase[j] }
            } else {
                for j in 0..<n { row[j] += aValue * bBase[j * bCol] }
            }
        }
    }

    /// One output row of `activation(A·B + bias)` for stored `A` (`m×k`) and `B` (`k×n`), no
    /// transposes: the row starts as the bias, takes `k` axpys while it stays in L1, and the ReLU
    /// runs over it last.
    @inline(__always)
    static func epilogueRow<T: TensorScalar>(_ i: Int, n: Int, k: Int, a: UnsafePointer<T>, b: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                            relu: Bool, row: UnsafeMutablePointer<T>) {
        let aRow = a + i * k
        let first = aRow[0]
        if let bias {
            for j in 0..<n { row[j] = bias[j] + first * b[j] }
        } else {
            for j in 0..<n { row[j] = first * b[j] }
        }
        for p in 1..<Swift.max(k, 1) {
            let scale = aRow[p], bRow = b + p * n
            for j in 0..<n { row[j] += scale * bRow[j] }
        }
        if relu {
            for j in 0..<n { row[j] = Swift.max(row[j], 0) }
        }
    }
}
