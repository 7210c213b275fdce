import Autodiff
import Graph
import Runtime

/// One input of a checked graph: its shape, how its values are drawn, and whether the check
/// differentiates with respect to it (labels and class indices are data).
public struct CheckInput: Sendable {
    public var shape: [Int]
    public var differentiable: Bool
    /// Draws one value; domains keep inputs away from kinks, poles and ties, so that central
    /// differences are meaningful.
    public var draw: @Sendable (inout SeededRandom) -> Double

    public init(_ shape: [Int], differentiable: Bool = true, draw: @escaping @Sendable (inout SeededRandom) -> Double) {
        self.shape = shape
        self.differentiable = differentiable
        self.draw = draw
    }
}

/// A graph to check: inputs, and a builder that makes the output from the input nodes.
public struct GradientCheckCase: Sendable {
    /// The op the case is about (for the table); the suite's coverage is read off the graph.
    public var op: String
    /// What is special about this case (shapes, attributes).
    public var detail: String
    public var inputs: [CheckInput]
    public var build: @Sendable (Graph, [NodeID]) throws -> NodeID

    public init(_ op: String, _ detail: String, inputs: [CheckInput], build: @escaping @Sendable (Graph, [NodeID]) throws -> NodeID) {
        self.op = op
        self.detail = detail
        self.inputs = inputs
        self.build = build
    }
}

/// The outcome of one case: the worst errors between the analytic gradient (autodiff, run by the
/// runtime) and central finite differences, and whether every element is within tolerance.
public struct GradientCheckResult: Sendable {
    public var op: String
    public var detail: String
    public var shapes: String
    public var elements: Int
    public var maxAbsoluteError: Double
    /// `|analytic − numeric| / max(|numeric|, atol)`, so near-zero derivatives do not inflate it.
    public var maxRelativeError: Double
    public var passed: Bool
    /// Vocabulary names present in the forward graph (before differentiation).
    public var vocabulary: Set<String>
    /// Set when the case could not be built or run.
    public var failure: String?
}

/// Checks gradients in Float64 against central differences with a random cotangent `c`: the
/// checked scalar is `L = Σ c·f(inputs)`, so `∂L/∂x` is the full vector-Jacobian product (a
/// plain sum would hide errors, e.g. batch norm's gradient of `Σ y` is identically zero).
/// Tolerances follow `torch.autograd.gradcheck`: `|analytic − numeric| ≤ atol + rtol·|numeric|`.
public struct GradientChecker: Sendable {
    public var step: Double = 1e-6
    public var absoluteTolerance: Double = 1e-5
    public var relativeTolerance: Double = 1e-3
    public var options: CompileOptions = .none
    public var seed: UInt64 = 20_261_124

    public init(options: CompileOptions = .none) {
        self.options = options
    }

    public func check(_ testCase: GradientCheckCase) -> GradientCheckResult {
        let shapes = testCase.inputs.map { "\($0.shape)" }.joined(separator: " ")
        var result = GradientCheckResult(op: testCase.op, detail: testCase.detail, shapes: shapes, elements: 0,
                                         maxAbsoluteError: 0, maxRelativeError: 0, passed: false, vocabulary: [], failure: nil)
        do {
            try run(testCase, into: &result)
        } catch {
            result.failure = "\(error)"
            result.passed = false
        }
        return result
    }

    private func run(_ testCase: GradientCheckCase, into result: inout GradientCheckResult) throws {
        var random = SeededRandom(seed: seed)
        let g = Graph(dtype: .float64)
        let inputs = try testCase.inputs.enumerated().map { try g.placeholder("input_\($0.offset)", Shape($0.element.shape)) }
        let output = try testCase.build(g, inputs)
        result.vocabulary = Set(g.nodes.map(\.op.vocabularyName))
        let outputShape = g[output].shape
        guard let outputCount = outputShape.elementCount else {
            throw AutodiffError.invalidArgument("the checked output has a symbolic shape \(outputShape)")
        }
        let cotangent = try g.constant((0..<outputCount).map { _ in random.uniform(-1, 1) }, shape: outputShape, name: "cotangent")
        let objective = try g.sum(g.mul(output, cotangent), name: "objective")
        let differentiable = inputs.indices.filter { testCase.inputs[$0].differentiable }
        let gradients = try g.gradients(of: objective, wrt: differentiable.map { inputs[$0] })

        var values = testCase.inputs.map { spec in (0..<spec.shape.reduce(1, *)).map { _ in spec.draw(&random) } }
        let session = try Session(graph: g, options: options)
        let executable = try session.makeExecutable(fetch: [objective] + gradients)
        func evaluate() throws -> Double {
            for (i, id) in inputs.enumerated() { try executable.feed(id, values[i]) }
            session.step = 7  // the same dropout masks and noise in every evaluation
            try executable.run()
            return try executable.scalar(0)
        }
        _ = try evaluate()
        let analytic = try gradients.indices.map { try executable.output($0 + 1).scalars }

        var maxAbsolute = 0.0, maxRelative = 0.0, passed = true, elements = 0
        for (k, i) in differentiable.enumerated() {
            for j in values[i].indices {
                let saved = values[i][j]
                values[i][j] = saved + step
                let plus = try evaluate()
                values[i][j] = saved - step
                let minus = try evaluate()
                values[i][j] = saved
                let numeric = (plus - minus) / (2 * step)
                let error = Swift.abs(analytic[k][j] - numeric)
                maxAbsolute = Swift.max(maxAbsolute, error)
                maxRelative = Swift.max(maxRelative, error / Swift.max(Swift.abs(numeric), absoluteTolerance))
                if !(error <= absoluteTolerance + relativeTolerance * Swift.abs(numeric)) { passed = false }
                elements += 1
            }
        }
        result.elements = elements
        result.maxAbsoluteError = maxAbsolute
        result.maxRelativeError = maxRelative
        result.passed = passed
    }
}
