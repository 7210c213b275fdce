/// Runs the enabled passes in a fixed order — `simplify`, `fold`, `cse`, `dce`,
/// `fuse-bce-logits`, `fuse-softmax-ce`, `fuse-batchnorm`, `fuse-gemm-epilogue`, `fuse-elementwise`, then `dce`
/// again — recording what each did. The result is verified after every pass.
public enum PassPipeline {
    /// Graph passes in the order they run (`plan-memory` belongs to the runtime and is not here).
    public static let order: [PassName] = [
        .simplify, .fold, .cse, .dce, .fuseBCELogits, .fuseSoftmaxCrossEntropy, .fuseBatchNorm, .fuseGemmEpilogue, .fuseElementwise, .dce,
    ]

    /// Applies the passes of `order` that are in `enabled` to `unit`.
    public static func run(_ unit: CompilationUnit, enabled: Set<PassName>, evaluator: ConstantEvaluator?) throws -> (CompilationUnit, [PassRecord]) {
        var unit = unit
        var records: [PassRecord] = []
        for pass in order where enabled.contains(pass) {
            let before = unit.graph.count
            let (next, rewrites) = try apply(pass, to: unit, evaluator: evaluator)
            try next.graph.verify()
            records.append(PassRecord(pass: pass, nodesBefore: before, nodesAfter: next.graph.count, rewrites: rewrites))
            unit = next
        }
        return (unit, records)
    }

    /// Applies one pass; returns the new unit and how many nodes it rewrote, merged, folded,
    /// fused or removed.
    public static func apply(_ pass: PassName, to unit: CompilationUnit, evaluator: ConstantEvaluator?) throws -> (CompilationUnit, Int) {
        switch pass {
        case .dce: return try DeadCodeElimination.run(unit)
        case .cse: return try CommonSubexpressionElimination.run(unit)
        case .fold:
            guard let evaluator else { return (unit, 0) }
            return try ConstantFolding.run(unit, evaluator: evaluator)
        case .simplify: return try Simplify.run(unit)
        case .fuseElementwise: return try FuseElementwise.run(unit)
        case .fuseGemmEpilogue: return try FuseGemmEpilogue.run(unit)
        case .fuseBCELogits: return try FuseBCELogits.run(unit)
        case .fuseSoftmaxCrossEntropy: return try FuseSoftmaxCrossEntropy.run(unit)
        case .fuseBatchNorm: return try FuseBatchNorm.run(unit)
        case .planMemory: return (unit, 0)
        }
    }
}
