/// Runs the enabled passes in a fixed order — `simplify` and `fold` (repeated together until
/// neither changes anything: `x·exp(0)` folds `exp(0)` to 1, then simplify drops the `·1`), `cse`,
/// `dce`, `fuse-bce-logits`, `fuse-softmax-ce`, `fuse-batchnorm`, `fuse-gemm-epilogue`,
/// `fuse-elementwise`, then `dce` again — recording what each did (a repeated pass once, with
/// its rewrites summed). The result is verified after every pass.
public enum PassPipeline {
    /// Graph passes in the order they run (`plan-memory` belongs to the runtime and is not here).
    public static let order: [PassName] = [
        .simplify, .fold, .cse, .dce, .fuseBCELogits, .fuseSoftmaxCrossEntropy, .fuseBatchNorm, .fuseGemmEpilogue, .fuseElementwise, .dce,
    ]
    /// Passes at the head of `order` that repeat together until neither rewrites anything.
    public static let fixedPoint: [PassName] = [.simplify, .fold]
    /// At most this many rounds of `fixedPoint` (each round strictly shrinks or rewrites the
    /// graph, so this is never reached in practice; it bounds a pass that would oscillate).
    static let maximumRounds = 16

    /// Applies the passes of `order` that are in `enabled` to `unit`.
    public static func run(_ unit: CompilationUnit, enabled: Set<PassName>, evaluator: ConstantEvaluator?) throws -> (CompilationUnit, [PassRecord]) {
        var unit = unit
        var records: [PassRecord] = []
        // The fixed-point group first.
        let group = fixedPoint.filter(enabled.contains)
        var groupRecords = group.map { PassRecord(pass: $0, nodesBefore: unit.graph.count, nodesAfter: unit.graph.count, rewrites: 0) }
        for round in 0..<maximumRounds where !group.isEmpty {
            var changed = false
            for (i, pass) in group.enumerated() {
                if round == 0 { groupRecords[i].nodesBefore = unit.graph.count }
                let (next, rewrites) = try apply(pass, to: unit, evaluator: evaluator)
                try next.graph.verify()
                groupRecords[i].rewrites += rewrites
                groupRecords[i].nodesAfter = next.graph.count
                changed = changed || rewrites > 0
                unit = next
            }
            if !changed { break }
        }
        records += groupRecords
        for pass in order.dropFirst(fixedPoint.count) where enabled.contains(pass) {
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
