import COpenBLAS
import Foundation

/// A symmetric positive-definite matrix factored as `A = L·Lᵀ` by LAPACK's `dpotrf` (OpenBLAS
/// ships LAPACK), for solves and the inverse. Matrices are row-major `n × n`; symmetric, so the
/// row/column-major distinction does not matter for the input.
public struct Cholesky: Sendable {
    public let n: Int
    /// The factor in LAPACK's column-major lower triangle (the upper part is not meaningful).
    private let factor: [Double]

    /// Factors `matrix`; `RuntimeError.invalidValue` when it is not positive definite (LAPACK's
    /// `info` names the leading minor that is not).
    public init(_ matrix: [Double], n: Int) throws {
        guard n > 0, matrix.count == n * n, let size = Int32(exactly: n) else {
            throw RuntimeError.invalidValue("Cholesky: a \(n)×\(n) matrix needs \(n * n) values, got \(matrix.count)")
        }
        var a = matrix
        var order = size, info: Int32 = 0
        var uplo = Int8(UInt8(ascii: "L"))
        dpotrf_(&uplo, &order, &a, &order, &info)
        guard info == 0 else {
            throw RuntimeError.invalidValue(info > 0
                ? "Cholesky: the leading minor of order \(info) is not positive definite"
                : "Cholesky: argument \(-info) is invalid")
        }
        self.n = n
        factor = a
    }

    /// `log det A = 2 Σ log L_ii`.
    public var logDeterminant: Double { (0..<n).reduce(0) { $0 + 2 * log(factor[$1 * n + $1]) } }

    /// `A⁻¹ b` for each of the `columns` right-hand sides, stored column after column (length `n` each).
    public func solve(_ b: [Double], columns: Int = 1) throws -> [Double] {
        guard b.count == n * columns, let nrhs = Int32(exactly: columns) else {
            throw RuntimeError.invalidValue("Cholesky.solve: \(columns) right-hand side(s) of \(n) need \(n * columns) values, got \(b.count)")
        }
        var x = b, a = factor, order = Int32(n), count = nrhs, info: Int32 = 0
        var uplo = Int8(UInt8(ascii: "L"))
        dpotrs_(&uplo, &order, &count, &a, &order, &x, &order, &info)
        guard info == 0 else { throw RuntimeError.invalidValue("Cholesky.solve: argument \(-info) is invalid") }
        return x
    }

    /// `A⁻¹`, row-major and symmetric.
    public func inverse() throws -> [Double] {
        var a = factor, order = Int32(n), info: Int32 = 0
        var uplo = Int8(UInt8(ascii: "L"))
        dpotri_(&uplo, &order, &a, &order, &info)
        guard info == 0 else { throw RuntimeError.invalidValue("Cholesky.inverse: the matrix is singular (info \(info))") }
        // LAPACK filled the lower triangle (column-major): mirror it.
        for column in 0..<n {
            for row in column..<n { a[row * n + column] = a[column * n + row] }
        }
        return a
    }
}

