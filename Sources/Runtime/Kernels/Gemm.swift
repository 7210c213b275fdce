/// Matrix products on row-major buffers. Large products go to OpenBLAS (sgemm/dgemm with the
/// transpose flags: no transposed copy is ever made); tiny ones, where BLAS' fixed cost dominates,
/// run in a simple register loop.
enum Gemm {
    /// Products with at most this many multiply-adds use the built-in loop.
    static let smallProductLimit = 4096

    /// `C = alpha·op(A)·op(B) + beta·C` where `op(A)` is `m×k` and `op(B)` is `k×n`; `A` is stored as
    /// `m×k` (or `k×m` when transposed), `B` as `k×n` (or `n×k`), `C` as `m×n`, all densely.
    @inline(__always)
    static func multiply<T: TensorScalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                          a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<T>, beta: T) {
        if m * n * k <= smallProductLimit {
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
                for i in 0..<m {
                    let row = a + i * k
                    var total: T = 0
                    for p in 0..<k { total += row[p] * b[p] }
                    c[i] = beta == 0 ? alpha * total : beta * c[i] + alpha * total
                }
            }
            return
        }
        // A(i, p) and B(p, j) in terms of the stored layouts.
        let aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1
        let bRow = transposeB ? 1 : n, bCol = transposeB ? k : 1
        for i in 0..<m {
            let row = c + i * n
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { row[j] *= beta }
            }
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
    }
}
