import Runtime

/// A random forest of regression trees (scikit-learn's `RandomForestRegressor` defaults: 100
/// trees, each grown on a bootstrap sample until leaves are pure or hold one point, every feature
/// considered at each split, splits at midpoints minimizing the summed squared error), seeded.
/// `importances` is the impurity decrease credited to each feature, normalized to sum to 1
/// (scikit-learn's `feature_importances_`, what W&B's parameter importance shows).
struct RegressionForest {
    private struct Node {
        var feature = -1
        var threshold = 0.0
        var left = -1
        var right = -1
        var value = 0.0
    }

    private var trees: [[Node]] = []
    let importances: [Double]

    init(x: [[Double]], y: [Double], trees count: Int = 100, seed: UInt64) {
        let features = x.first?.count ?? 0
        var random = SeededRandom(seed: seed)
        var credit = [Double](repeating: 0, count: features)
        for _ in 0..<count {
            let sample = (0..<y.count).map { _ in Int(random.next() % UInt64(Swift.max(y.count, 1))) }
            var nodes: [Node] = []
            Self.grow(sample, x: x, y: y, nodes: &nodes, credit: &credit, features: features)
            trees.append(nodes)
        }
        let total = credit.reduce(0, +)
        importances = credit.map { total > 0 ? $0 / total : 0 }
    }

    func predict(_ point: [Double]) -> Double {
        var sum = 0.0
        for nodes in trees {
            var i = 0
            while nodes[i].feature >= 0 { i = point[nodes[i].feature] <= nodes[i].threshold ? nodes[i].left : nodes[i].right }
            sum += nodes[i].value
        }
        return sum / Double(Swift.max(trees.count, 1))
    }

    /// Grows the subtree of `rows` (indices into x, y, repeated as drawn), returning its index.
    @discardableResult
    private static func grow(_ rows: [Int], x: [[Double]], y: [Double], nodes: inout [Node], credit: inout [Double], features: Int) -> Int {
        let index = nodes.count
        let mean = rows.reduce(0) { $0 + y[$1] } / Double(Swift.max(rows.count, 1))
        nodes.append(Node(value: mean))
        let error = rows.reduce(0) { $0 + (y[$1] - mean) * (y[$1] - mean) }
        guard rows.count > 1, error > 1e-12, let split = bestSplit(rows, x: x, y: y, features: features), split.error < error - 1e-12 else {
            return index
        }
        credit[split.feature] += error - split.error
        let left = rows.filter { x[$0][split.feature] <= split.threshold }, right = rows.filter { x[$0][split.feature] > split.threshold }
        nodes[index].feature = split.feature
        nodes[index].threshold = split.threshold
        nodes[index].left = grow(left, x: x, y: y, nodes: &nodes, credit: &credit, features: features)
        nodes[index].right = grow(right, x: x, y: y, nodes: &nodes, credit: &credit, features: features)
        return index
    }

    /// The split (feature, midpoint threshold) with the least summed squared error of the two sides.
    private static func bestSplit(_ rows: [Int], x: [[Double]], y: [Double], features: Int) -> (feature: Int, threshold: Double, error: Double)? {
        var best: (feature: Int, threshold: Double, error: Double)?
        for f in 0..<features {
            let sorted = rows.sorted { x[$0][f] < x[$1][f] }
            var leftSum = 0.0, leftSquares = 0.0
            let totalSum = sorted.reduce(0) { $0 + y[$1] }, totalSquares = sorted.reduce(0) { $0 + y[$1] * y[$1] }
            for k in 0..<(sorted.count - 1) {
                let v = y[sorted[k]]
                leftSum += v
                leftSquares += v * v
                let a = x[sorted[k]][f], b = x[sorted[k + 1]][f]
                guard a < b else { continue }
                let nl = Double(k + 1), nr = Double(sorted.count - k - 1)
                let rightSum = totalSum - leftSum, rightSquares = totalSquares - leftSquares
                let error = (leftSquares - leftSum * leftSum / nl) + (rightSquares - rightSum * rightSum / nr)
                if best.map({ error < $0.error }) ?? true { best = (f, (a + b) / 2, error) }
            }
        }
        return best
    }
}
