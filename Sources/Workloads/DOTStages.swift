import Graph
import Runtime

/// The DOT of a training-step graph at each stage of compilation, as `temper dot` writes it.
public enum DOTStages {
    /// The stages, in order: the model and loss alone; the whole training step with gradients and
    /// updates; and the step after every pass.
    public enum Stage: String, CaseIterable, Sendable {
        case forward, training, optimized
    }

    /// The DOT text of `workload` at `stage`.
    public static func dot(_ workload: TrainingStepGraph, stage: Stage) throws -> String {
        switch stage {
        case .forward:
            let unit = CompilationUnit(graph: workload.graph, roots: [workload.loss])
            let forward = try PassPipeline.apply(.dce, to: unit, evaluator: nil).0.graph
            return forward.dot(title: "\(workload.name): forward")
        case .training:
            return workload.graph.dot(title: "\(workload.name): training step")
        case .optimized:
            let session = try Session(graph: workload.graph)
            let step = try session.makeExecutable(fetch: [workload.loss], targets: workload.updates)
            return step.optimizedUnit.graph.dot(title: "\(workload.name): after passes")
        }
    }
}
