/// The three results of training-mode batch normalization.
public struct BatchNormResult: Sendable {
    /// The normalized (and scaled, shifted) output, shaped like the input.
    public let output: NodeID
    /// The batch mean per feature.
    public let mean: NodeID
    /// The biased (population) batch variance per feature: `Σ(x − mean)²/m`.
    public let variance: NodeID
}

extension Graph {
    /// Training-mode batch normalization over every axis but the last (the features):
    /// `y = gamma·(x − μ_B)/√(σ²_B + epsilon) + beta` with the batch mean `μ_B` and the biased batch
    /// variance `σ²_B`, which are returned too (to update moving statistics). `gamma`/`beta` are
    /// optional (Keras `scale`/`center`); Keras' default epsilon is 1e-3.
    public func batchNormTraining(_ x: NodeID, gamma: NodeID?, beta: NodeID?, epsilon: Double = 1e-3, name: String? = nil) throws -> BatchNormResult {
        let config = BatchNormConfig(epsilon: epsilon, scale: gamma != nil, center: beta != nil)
        let y = try addNode(.batchNormTraining(config), inputs: [x] + [gamma, beta].compactMap { $0 }, name: name)
        return BatchNormResult(output: y, mean: try output(1, of: y), variance: try output(2, of: y))
    }

    /// Inference-mode batch normalization with given (moving) statistics:
    /// `y = gamma·(x − mean)/√(variance + epsilon) + beta`.
    public func batchNormInference(_ x: NodeID, mean: NodeID, variance: NodeID, gamma: NodeID?, beta: NodeID?, epsilon: Double = 1e-3, name: String? = nil) throws -> NodeID {
        let config = BatchNormConfig(epsilon: epsilon, scale: gamma != nil, center: beta != nil)
        return try addNode(.batchNormInference(config), inputs: [x, mean, variance] + [gamma, beta].compactMap { $0 }, name: name)
    }
}
