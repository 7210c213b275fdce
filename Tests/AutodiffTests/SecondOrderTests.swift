import Foundation
import Testing
import Graph
import Autodiff
import Runtime

/// Hessian-vector products: differentiate `⟨∇f(x), v⟩` again and compare with central
/// differences of the gradient, `(∇f(x + h·v) − ∇f(x − h·v)) / 2h`.
struct SecondOrderTests {
    /// f(x) = Σ c·tanh(x·W + b) + Σ x³/3 + Σ sigmoid(x)·x, so second derivatives go through
    /// matmul, tanh, sigmoid, pow and products.
    func hessianVectorProduct(x: [Double], v: [Double]) throws -> (hv: [Double], gradient: (([Double]) throws -> [Double])) {
        func build(_ g: Graph) throws -> (x: NodeID, grad: NodeID, f: NodeID) {
            let x = try g.placeholder("x", [1, 3])
            let w = try g.constant([0.5, -1, 0.3, 0.8, 0.2, -0.4, -0.6, 0.9, 0.1, 1.1, -0.2, 0.7], shape: [3, 4])
            let b = try g.constant([0.1, -0.2, 0.3, 0], shape: [4])
            let c = try g.constant([1, -2, 0.5, 1.5], shape: [1, 4])
            let f1 = try g.sum(g.mul(g.tanh(g.add(g.matmul(x, w), b)), c))
            let f2 = try g.sum(g.mul(g.pow(x, 3), g.scalar(1.0 / 3)))
            let f3 = try g.sum(g.mul(g.sigmoid(x), x))
            let f = try g.add(g.add(f1, f2), f3)
            return (x, try g.gradients(of: f, wrt: [x])[0], f)
        }
        let g = Graph(dtype: .float64)
        let (xNode, grad, _) = try build(g)
        let vNode = try g.placeholder("v", [1, 3])
        let hv = try g.gradients(of: g.sum(g.mul(grad, vNode)), wrt: [xNode])[0]
        let session = try Session(graph: g)
        let result = try session.run(feeds: [xNode: try Tensor(shape: [1, 3], x), vNode: try Tensor(shape: [1, 3], v)], fetch: [hv])[0].scalars
        let gradientAt: ([Double]) throws -> [Double] = { point in
            try session.run(feeds: [xNode: try Tensor(shape: [1, 3], point)], fetch: [grad])[0].scalars
        }
        return (result, gradientAt)
    }

    @Test func hessianVectorProductMatchesFiniteDifferences() throws {
        let x = [0.3, -0.7, 1.2], v = [0.6, -0.1, 0.8]
        let (hv, gradient) = try hessianVectorProduct(x: x, v: v)
        let h = 1e-5
        let plus = try gradient(zip(x, v).map { $0 + h * $1 })
        let minus = try gradient(zip(x, v).map { $0 - h * $1 })
        let numeric = zip(plus, minus).map { ($0 - $1) / (2 * h) }
        for (a, n) in zip(hv, numeric) {
            #expect(Swift.abs(a - n) <= 1e-7 + 1e-6 * Swift.abs(n), "analytic \(a) numeric \(n)")
        }
        #expect(hv.contains { Swift.abs($0) > 0.1 })
    }

    @Test func hessianOfAQuadraticFormThroughMatmul() throws {
        // f(x) = Σ (x·W)² has Hessian 2·W·Wᵀ exactly.
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [1, 2])
        let wValues = [1.0, 2, 3, -1, 0.5, 4]
        let w = try g.constant(wValues, shape: [2, 3])
        let grad = try g.gradients(of: g.sum(g.square(g.matmul(x, w))), wrt: [x])[0]
        let v = try g.constant([1, -1], shape: [1, 2])
        let hv = try g.gradients(of: g.sum(g.mul(grad, v)), wrt: [x])[0]
        let result = try Session(graph: g).run(feeds: [x: try Tensor(shape: [1, 2], [0.4, -0.2])], fetch: [hv])[0].scalars
        // 2·W·Wᵀ·v with W rows (1, 2, 3) and (-1, 0.5, 4).
        let wwT = [[14.0, 12], [12, 17.25]]
        #expect(result == [2 * (wwT[0][0] - wwT[0][1]), 2 * (wwT[1][0] - wwT[1][1])])
    }
}
