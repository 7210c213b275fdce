import Foundation
import Testing
import Runtime

/// LAPACK's Cholesky through OpenBLAS, against a matrix built from a known factor.
struct CholeskyTests {
    // A = L·Lᵀ with L = [[2, 0, 0], [1, 3, 0], [0.5, −1, 1]], multiplied out by hand.
    let a: [Double] = [4, 2, 1,
                       2, 10, -2.5,
                       1, -2.5, 2.25]

    @Test func factorSolveAndInverse() throws {
        let factor = try Cholesky(a, n: 3)
        #expect(Swift.abs(factor.logDeterminant - 2 * (log(2) + log(3) + log(1))) < 1e-12)
        // x = (1, −2, 3): b = A·x by hand.
        let b: [Double] = [4 - 4 + 3, 2 - 20 - 7.5, 1 + 5 + 6.75]
        let x = try factor.solve(b)
        #expect(zip(x, [1, -2, 3]).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        let inverse = try factor.inverse()
        for i in 0..<3 {
            for j in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + inverse[i * 3 + $1] * a[$1 * 3 + j] }
                #expect(Swift.abs(product - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test func aMatrixThatIsNotPositiveDefiniteIsAnError() {
        #expect { try Cholesky([1, 2, 2, 1], n: 2) } throws: { "\($0)".contains("leading minor of order 2 is not positive definite") }
        #expect { try Cholesky([1, 2, 3], n: 2) } throws: { "\($0)".contains("needs 4 values, got 3") }
    }
}
