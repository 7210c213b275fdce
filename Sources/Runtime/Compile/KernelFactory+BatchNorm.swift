import Graph

/// Batch normalization: training forward (plain and fused with ReLU), inference, and the backward.
extension KernelFactory {
    func batchNormTraining(_ config: BatchNormConfig, _ o: Operands) -> Made {
        let (rows, features) = rowsAndFeatures(o.inputShapes[0])
        let x = o.input(0), (gamma, beta) = learned(config, o, first: 1), y = o.output
        let mean = y + rows * features, variance = mean + features
        let reciprocal = allocate(features)
        let epsilon = T(config.epsilon)
        return Made(summary: "batch_norm_training \(rows)x\(features)", body: {
            BatchNormKernels.trainingForward(x: x, rows: rows, features: features, epsilon: epsilon, gamma: gamma, beta: beta,
                                             y: y, mean: mean, variance: variance, reciprocal: reciprocal)
        })
    }

    func batchNormTrainingFused(_ config: BatchNormConfig, relu: Bool, _ o: Operands) -> Made {
        let (rows, features) = rowsAndFeatures(o.inputShapes[0])
        let x = o.input(0), (gamma, beta) = learned(config, o, first: 1), y = o.output
        let mean = y + rows * features, variance = mean + features
        let scale = allocate(features), shift = allocate(features)
        let epsilon = T(config.epsilon)
        return Made(summary: "fused_batch_norm\(relu ? "+relu" : "") \(rows)x\(features)", body: {
            BatchNormKernels.trainingForwardFused(x: x, rows: rows, features: features, epsilon: epsilon, gamma: gamma, beta: beta,
                                                  relu: relu, y: y, mean: mean, variance: variance, scale: scale, shift: shift)
        })
    }

    func batchNormInference(_ config: BatchNormConfig, _ o: Operands) -> Made {
        let (rows, features) = rowsAndFeatures(o.inputShapes[0])
        let x = o.input(0), mean = o.input(1), variance = o.input(2), (gamma, beta) = learned(config, o, first: 3), y = o.output
        let scale = allocate(features), shift = allocate(features)
        let epsilon = T(config.epsilon)
        return Made(summary: "batch_norm_inference \(rows)x\(features)", body: {
            BatchNormKernels.inference(x: x, rows: rows, features: features, epsilon: epsilon, mean: mean, variance: variance,
                                       gamma: gamma, beta: beta, y: y, scale: scale, shift: shift)
        })
    }

    /// `batch_norm_training_grad` and `fused_batch_norm_grad` (with the cotangent's ReLU mask as its
    /// last input, and the input's ReLU mask applied to `dx`).
    func batchNormGradient(_ config: BatchNormConfig, masks: BatchNormGradientMasks, kind: OpKind, _ o: Operands) -> Made {
        let (rows, features) = rowsAndFeatures(o.inputShapes[1])
        let dy = o.input(0), x = o.input(1), mean = o.input(2), variance = o.input(3)
        let gamma = config.scale ? o.input(4) : nil
        let reluOutput = masks.cotangent ? o.input(o.inputs.count - 1) : nil, inputMask = masks.input
        let dx = o.output, dgamma = dx + rows * features, dbeta = dgamma + features
        let epsilon = T(config.epsilon)
        let masked = allocate(masks.cotangent ? rows * features : 0), factors = allocate(3 * features)
        return Made(summary: "\(kind.rawValue)\(inputMask ? "+input mask" : "") \(rows)x\(features)", body: {
            BatchNormKernels.trainingBackward(dy: dy, x: x, rows: rows, features: features, epsilon: epsilon, mean: mean,
                                              variance: variance, gamma: gamma, reluOutput: reluOutput, inputMask: inputMask,
                                              dx: dx, dgamma: dgamma, dbeta: dbeta, masked: masked, factors: factors)
        })
    }

    /// Gamma and beta when present (`scale`, `center`), starting at input `first`.
    private func learned(_ config: BatchNormConfig, _ o: Operands, first: Int) -> (UnsafePointer<T>?, UnsafePointer<T>?) {
        let gamma = config.scale ? o.input(first) : nil
        let beta = config.center ? o.input(first + (config.scale ? 1 : 0)) : nil
        return (gamma, beta)
    }

    private func rowsAndFeatures(_ shape: [Int]) -> (Int, Int) {
        (shape.dropLast().reduce(1, *), shape.last ?? 1)
    }
}
