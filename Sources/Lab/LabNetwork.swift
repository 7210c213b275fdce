import Models

/// The lab's fully connected networks: `hidden` layers of `units`, each `Dense(units)` →
/// [`BatchNormalization`] → [`NonstationaryNoise`] → `Activation`, then `Dense(10)` logits
/// (trained with `sparseCategoricalCrossEntropy(fromLogits: true)`). Each part is a layer of its
/// own, so the input of every activation can be fetched (`layerOutputs`).
///
/// Layer names: `dense_k`, `bn_k`, `noise_k`, `act_k` for hidden layer k (from 1), then `logits`.
public struct LabNetwork: Sendable {
    public var hidden: Int
    public var units: Int
    public var activation: ActivationFunction
    public var initializer: Initializer
    public var batchNorm: Bool
    /// Santurkar et al.'s "noisy BN": noise of a distribution that changes every step after each BN.
    public var noise: (shift: Double, spread: Double)?
    /// An L2 activity penalty on the logits: `λ · Σ‖f(x)‖² / batch` (Dauphin & Cubuk's functional L2).
    public var logitPenalty: Double?

    public init(hidden: Int = 3, units: Int = 100, activation: ActivationFunction, initializer: Initializer, batchNorm: Bool,
                noise: (shift: Double, spread: Double)? = nil, logitPenalty: Double? = nil) {
        self.hidden = hidden
        self.units = units
        self.activation = activation
        self.initializer = initializer
        self.batchNorm = batchNorm
        self.noise = noise
        self.logitPenalty = logitPenalty
    }

    /// The model, initial weights drawn from `seed`.
    public func model(seed: UInt64, inputs: Int = 64) -> Sequential {
        let model = Sequential(name: "lab", seed: seed, inputShape: [inputs])
        for k in 1...hidden {
            model.add(Dense(units, kernelInitializer: initializer, name: "dense_\(k)"))
            if batchNorm { model.add(BatchNormalization(name: "bn_\(k)")) }
            if let noise { model.add(NonstationaryNoise(shift: noise.shift, spread: noise.spread, name: "noise_\(k)")) }
            model.add(Activation(activation, name: "act_\(k)"))
        }
        model.add(Dense(LabData.classes, kernelInitializer: initializer, activityRegularizer: logitPenalty.map { .l2($0) }, name: "logits"))
        return model
    }

    /// The layer whose output is the input of hidden layer `k`'s activation.
    public func preActivationLayer(_ k: Int) -> String {
        noise != nil ? "noise_\(k)" : batchNorm ? "bn_\(k)" : "dense_\(k)"
    }

    /// One line on the architecture.
    public var summary: String {
        let block = ["Dense(\(units))", batchNorm ? "BN" : nil, noise.map { "noise(shift \($0.shift), spread \($0.spread))" }, activation.rawValue]
            .compactMap { $0 }.joined(separator: " → ")
        return "64 → \(hidden) × [\(block)] → Dense(10) logits" + (logitPenalty.map { ", logit L2 \($0)" } ?? "")
    }
}
