import CKernels
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
        if isSmall(m: m, n: n, k: k, transposeB: transposeB) {
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
                // c[i] = beta·c[i] + Σₚ (alpha·b[p])·a[p·m + i]: columns of the stored matrix, scaled.
                if T.self == Float.self {
                    // The same arithmetic, in C built for AVX2 too (CKernels): one row of m columns.
                    temper_small_gemm_f32(1, m, k, Float(alpha), b.float, 0, 1, a.float, m, Float(beta), c.float)
                } else {
                    AxpyBlock(row: c, start: beta, terms: k, alpha: alpha, a: b, aStep: 1, b: a, bStep: m).forEachBlock(of: m)
                }
            } else if T.self == Float.self {
                // The same arithmetic, in C built for AVX2 too (CKernels).
                temper_gemv_f32(m, k, Float(alpha), a.float,
                                b.float, Float(beta),
                                c.float)
            } else {
                let body = k - k % vectorWidth
                /// Row `i`'s dot product: 8 lanes summed, then the tail.
                @inline(__always) func finish(_ i: Int, _ lanes: Vector<T>) {
                    let row = a + i * k
                    var total = lanes.sum()
                    for p in body..<k { total += row[p] * b[p] }
                    c[i] = beta == 0 ? alpha * total : beta * c[i] + alpha * total
                }
                // Four rows at a time: four independent chains of the same arithmetic per row.
                var i = 0
                while i + 4 <= m {
                    let r0 = a + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k
                    var l0 = Vector<T>(), l1 = Vector<T>(), l2 = Vector<T>(), l3 = Vector<T>()
                    for p in stride(from: 0, to: body, by: vectorWidth) {
                        let v = b.vector(at: p)
                        l0 += r0.vector(at: p) * v
                        l1 += r1.vector(at: p) * v
                        l2 += r2.vector(at: p) * v
                        l3 += r3.vector(at: p) * v
                    }
                    finish(i, l0); finish(i + 1, l1); finish(i + 2, l2); finish(i + 3, l3)
                    i += 4
                }
                while i < m {
                    let row = a + i * k
                    var lanes = Vector<T>()
                    for p in stride(from: 0, to: body, by: vectorWidth) { lanes += row.vector(at: p) * b.vector(at: p) }
                    finish(i, lanes)
                    i += 1
                }
            }
            return
        }
        if T.self == Float.self, !transposeB || k == 1 {
            // The loop below, in C built for AVX2 too (CKernels), the same arithmetic.
            temper_small_gemm_f32(m, n, k, Float(alpha), a.float, transposeA ? 1 : k, transposeA ? m : 1, b.float, transposeB ? 1 : n,
                                  Float(beta), c.float)
            return
        }
        for i in 0..<m {
            let row = c + i * n
            if !transposeB || k == 1 {
                // B's rows are contiguous: the row starts at 0 or beta·C in registers.
                let aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1
                AxpyBlock(row: row, start: beta, terms: k, alpha: alpha, a: a + i * aRow, aStep: aCol, b: b, bStep: transposeB ? 1 : n)
                    .forEachBlock(of: n)
                continue
            }
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { row[j] *= beta }
            }
            accumulateRow(i, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, row: row)
        }
    }

    /// True when `multiply` uses the built-in loops for this product. A transposed `B` with
    /// `k > 1` is read with a stride there (no vectors), so such products go to BLAS unless tiny.
    @inline(__always)
    static func isSmall(m: Int, n: Int, k: Int, transposeB: Bool = false) -> Bool {
        if transposeB && k > 1 && n > 1 { return m * n * k <= smallProductLimit }
        return n == 1 || k <= 16 || m * n * k <= smallProductLimit
    }

    /// `row += alpha · op(A)[i, :] · op(B)`: one output row, as axpys over the rows of `op(B)`
    /// (8 lanes at a time when they are contiguous).
    @inline(__always)
    static func accumulateRow<T: TensorScalar>(_ i: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                              a: UnsafePointer<T>, b: UnsafePointer<T>, row: UnsafeMutablePointer<T>) {
        // A(i, p) and B(p, j) in terms of the stored layouts.
        let aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1
        let bRow = transposeB ? 1 : n, bCol = transposeB ? k : 1
        if bCol == 1 {
            AxpyBlock(row: row, start: 1, terms: k, alpha: alpha, a: a + i * aRow, aStep: aCol, b: b, bStep: bRow).forEachBlock(of: n)
            return
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

    /// `activation(A·B + bias)` for stored `A` (`m×k`) and `B` (`k×n`), no transposes: each block
    /// of columns goes down all rows (its bias in registers, `B`'s rows from L1), and the ReLU runs
    /// over the output last.
    @inline(__always)
    static func epilogue<T: TensorScalar>(m: Int, n: Int, k: Int, a: UnsafePointer<T>, b: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                         relu: Bool, output: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            // The same arithmetic, in C built for AVX2 too (CKernels).
            temper_gemm_epilogue_f32(m, n, k, a.float, b.float,
                                     bias?.float, relu ? 1 : 0,
                                     output.float)
            return
        }
        EpilogueBlock(a: a, b: b, bias: bias ?? b, hasBias: bias != nil, m: m, n: n, k: k, output: output).forEachBlock(of: n)
        // A plain loop (vectorized by the compiler): SIMD comparisons in Swift go lane by lane.
        if relu {
            for j in 0..<m * n { output[j] = Swift.max(output[j], 0) }
        }
    }
}

/// `output[i, j] = bias[j] + Σₚ a[i, p]·b[p, j]` (or without the bias) down a block of columns, for
/// every row `i`, `p` in order.
private struct EpilogueBlock<Scalar: TensorScalar>: ColumnBlock {
    let a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>, hasBias: Bool
    let m: Int, n: Int, k: Int, output: UnsafeMutablePointer<Scalar>

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        let start = hasBias ? L.load(bias + j) : L(repeating: 0), b0 = L.load(b + j)
        for i in 0..<m {
            let row = a + i * k
            let first = L(repeating: row[0]) * b0
            var sum = hasBias ? start + first : first
            for p in 1..<Swift.max(k, 1) { sum = sum + L(repeating: row[p]) * L.load(b + p * n + j) }
            sum.store(to: output + i * n + j)
        }
    }
}

/// `row[j] = start·row[j] + Σₚ (alpha·a[p·aStep])·b[p·bStep + j]` down a block of columns, `p` in
/// order: the plain loops `row[j] *= start` (`row[j] = 0` when `start` is 0, `row[j]` untouched
/// when it is 1), then `row[j] += aValue·b[j]` over `p`, with the same arithmetic.
struct AxpyBlock<Scalar: TensorScalar>: ColumnBlock {
    let row: UnsafeMutablePointer<Scalar>, start: Scalar, terms: Int, alpha: Scalar
    let a: UnsafePointer<Scalar>, aStep: Int, b: UnsafePointer<Scalar>, bStep: Int

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        block(L.self, at: j).store(to: row + j)
    }

    @inline(__always) func block<L: Lanes>(_ lanes: L.Type, at j: Int) -> L where L.Scalar == Scalar {
        var sum = start == 0 ? L(repeating: 0) : start == 1 ? L.load(row + j) : L.load(row + j) * L(repeating: start)
        for p in 0..<terms { sum = sum + L(repeating: alpha * a[p * aStep]) * L.load(b + p * bStep + j) }
        return sum
    }

    /// As `ColumnBlock.forEachBlock`, but the block reads the row it writes: the last 8 columns
    /// are computed first, from the untouched row, and stored after the others.
    @inline(__always) func forEachBlock(of count: Int) {
        guard count >= 8, count % 8 != 0 else {
            var j = 0
            while j + 32 <= count { self(FourVectors<Scalar>.self, at: j); j += 32 }
            while j + 8 <= count { self(SIMD8<Scalar>.self, at: j); j += 8 }
            while j < count { self(OneLane<Scalar>.self, at: j); j += 1 }
            return
        }
        let last = block(SIMD8<Scalar>.self, at: count - 8)
        var j = 0
        while j + 32 <= count { self(FourVectors<Scalar>.self, at: j); j += 32 }
        while j + 8 <= count { self(SIMD8<Scalar>.self, at: j); j += 8 }
        last.store(to: row + count - 8)
    }
}
