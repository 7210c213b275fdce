import ArgumentParser
import Workloads

/// The built-in training-step graphs that `temper dot` and `temper profile` show.
enum ExampleGraph: String, CaseIterable, ExpressibleByArgument {
    /// The deck's 2-50-1 model with batch norm after the ReLU, batch 32.
    case casestudy
    /// A 784-1024-1024-10 ReLU MLP, batch 256.
    case mlp

    func graph() throws -> TrainingStepGraph {
        switch self {
        case .casestudy: return try TrainingStepGraphs.caseStudy()
        case .mlp: return try TrainingStepGraphs.mlp()
        }
    }
}
