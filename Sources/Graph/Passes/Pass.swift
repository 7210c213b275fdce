/// The named optimization passes. Each can be switched off; `PassPipeline.order` is the order they
/// run in. `plan-memory` is carried out by the runtime when it places values in the arena.
public enum PassName: String, CaseIterable, Codable, Sendable {
    /// Dead-code elimination: drops nodes the fetched values and targets do not need.
    case dce
    /// Common-subexpression elimination: merges nodes with the same op and the same inputs.
    case cse
    /// Constant folding: evaluates nodes whose inputs are all constants, with the runtime's kernels.
    case fold
    /// Algebraic simplification: `x·1`, `x+0`, `−(−x)`, double transposes, identity reshapes and
    /// broadcasts, `matmul(transpose(a), b)` → a transpose flag, inference-mode dropout/noise …
    case simplify
    /// Chains of elementwise ops become one loop kernel with no intermediate buffers.
    case fuseElementwise = "fuse-elementwise"
    /// `activation(matmul + bias)` becomes one GEMM whose output is pre-filled with the bias.
    case fuseGemmEpilogue = "fuse-gemm-epilogue"
    /// `BCE(sigmoid(z))` and its backward become the stable logits form.
    case fuseBCELogits = "fuse-bce-logits"
    /// `categorical_crossentropy(softmax(z))` (and the sparse one) and its backward become the
    /// logits form, with no probability clip.
    case fuseSoftmaxCrossEntropy = "fuse-softmax-ce"
    /// Training batch norm (+ ReLU) forward in two reductions and one pass; its backward (+ the
    /// ReLU mask) in one kernel.
    case fuseBatchNorm = "fuse-batchnorm"
    /// Liveness-based offsets in one arena, in place where safe (done by the runtime).
    case planMemory = "plan-memory"
}

/// A graph together with the nodes that must survive every pass (what a run fetches or targets),
/// in the caller's order. Passes return a new unit with the roots remapped.
public struct CompilationUnit {
    public var graph: Graph
    public var roots: [NodeID]

    public init(graph: Graph, roots: [NodeID]) {
        self.graph = graph
        self.roots = roots
    }
}

/// Evaluates one op on constant inputs with the same kernels the interpreter runs (provided by
/// the runtime, which `Graph` does not know about). Used by `fold`.
public protocol ConstantEvaluator {
    /// The value of `node`'s op applied to `inputs` (in the graph's dtype), or `nil` to leave it.
    func evaluate(_ node: Node, inputs: [ConstantValue]) throws -> ConstantValue?
}

/// What one pass did, for the compile report.
public struct PassRecord: Sendable, Equatable {
    public var pass: PassName
    public var nodesBefore: Int
    public var nodesAfter: Int
    /// Nodes rewritten, merged, folded or fused by the pass.
    public var rewrites: Int
}
