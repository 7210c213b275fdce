/// How a per-sample loss is reduced to what the builder returns.
public enum LossReduction: String, Sendable {
    /// The mean over the batch (Keras' `sum_over_batch_size`): a scalar.
    case mean
    /// The sum over the batch: a scalar.
    case sum
    /// One value per sample, shape `[batch]`.
    case none
}

extension Graph {
    /// A loss of `(labels, predictions)` (see `LossKind` for the formulas), reduced as asked.
    public func loss(_ kind: LossKind, labels: NodeID, predictions: NodeID, reduction: LossReduction = .mean, name: String? = nil) throws -> NodeID {
        let perSampleName = reduction == .none ? name : name.map { "\($0)/per_sample" }
        let perSample = try addNode(.loss(kind), inputs: [labels, predictions], name: perSampleName)
        switch reduction {
        case .none: return perSample
        case .mean: return try mean(perSample, name: name)
        case .sum: return try sum(perSample, name: name)
        }
    }
}
