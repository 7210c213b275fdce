import Foundation
import Graph
import Testing
@testable import Models

/// SGD and Adam update every unconstrained parameter in ONE kernel (`apply_updates`). Each is
/// held against the same optimizer forced onto its elementwise graph (one `newValue` per
/// parameter, the path every other optimizer takes): weights, slots and history bit for bit.
struct FusedOptimizerTests {
    /// The optimizer with its fused update hidden: the model then writes each update with elementwise ops.
    struct Elementwise: Optimizer {
        let base: Optimizer
        var name: String { base.name }
        var learningRate: LearningRate { base.learningRate }
        var clipping: GradientClipping { base.clipping }
        func newValue(of parameter: NodeID, gradient: NodeID, step: inout OptimizerStep) throws -> NodeID {
            try base.newValue(of: parameter, gradient: gradient, step: &step)
        }
    }

    static let optimizers: [(String, Optimizer)] = [
        ("sgd", SGD(learningRate: 0.1)),
        ("momentum", SGD(learningRate: 0.05, momentum: 0.9)),
        ("nesterov", SGD(learningRate: 0.05, momentum: 0.8, nesterov: true)),
        ("momentum, clipnorm", SGD(learningRate: 0.05, momentum: 0.9, clipping: .byNorm(0.5))),
        ("adam", Adam(learningRate: 0.01)),
        ("adam, amsgrad", Adam(learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, amsgrad: true)),
        ("adam, schedule", Adam(learningRate: .exponentialDecay(initial: 0.01, decaySteps: 5, decayRate: 0.5))),
    ]

    /// BN (its moving statistics are assigns beside the optimizer step) and a max-norm
    /// constrained kernel (updated on the elementwise path next to the fused ones).
    func model(_ optimizer: Optimizer) throws -> Sequential {
        let model = Sequential(seed: 5) {
            Dense(16, activation: .relu, kernelInitializer: .heUniform(), inputShape: [2])
            BatchNormalization()
            Dense(8, activation: .tanh, kernelConstraint: .maxNorm(1.5))
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: optimizer, loss: .binaryCrossEntropy, metrics: [.accuracy])
        return model
    }

    @Test(arguments: 0..<optimizers.count)
    func theFusedStepIsTheElementwiseStepBitForBit(index: Int) throws {
        let (label, optimizer) = Self.optimizers[index]
        let data = try circles().rows(0..<200)
        let fused = try model(optimizer), plain = try model(Elementwise(base: optimizer))
        let a = try fused.fit(x: data.x, y: data.y, batchSize: 32, epochs: 4, seed: 3, verbose: 0)
        let b = try plain.fit(x: data.x, y: data.y, batchSize: 32, epochs: 4, seed: 3, verbose: 0)
        #expect(try a["loss"] == b["loss"], "\(label)")
        // Every variable: layer weights, BN statistics and the optimizer's slots and step count.
        let (ca, cb) = (try fused.requireCompiled(), try plain.requireCompiled())
        #expect(ca.variables.keys.sorted() == cb.variables.keys.sorted(), "\(label)")
        for name in ca.variables.keys { #expect(try ca.value(of: name) == cb.value(of: name), "\(label): \(name)") }
        // The fused model ran one optimizer kernel; the other wrote the same updates with several.
        let kernels = try fused.requireCompiled().trainStep().statistics(batchSize: 32).kernelSummaries
        let plainKernels = try plain.requireCompiled().trainStep().statistics(batchSize: 32).kernelSummaries
        #expect(kernels.filter { $0.contains("apply_updates") }.count == 1, "\(label): \(kernels)")
        #expect(plainKernels.allSatisfy { !$0.contains("apply_updates") } && plainKernels.count > kernels.count, "\(label)")
    }

    @Test func theSlotsKeepTheirNames() throws {
        // optimizer/<parameter>/momentum … as on the elementwise path, for whatever reads them by name.
        let data = try circles().rows(0..<64)
        let fused = try model(Adam(learningRate: 0.01)), plain = try model(Elementwise(base: Adam(learningRate: 0.01)))
        _ = try fused.fit(x: data.x, y: data.y, batchSize: 32, epochs: 1, shuffle: false, verbose: 0)
        _ = try plain.fit(x: data.x, y: data.y, batchSize: 32, epochs: 1, shuffle: false, verbose: 0)
        let variables = try fused.requireCompiled().variables.keys.filter { $0.hasPrefix("optimizer/") }.sorted()
        let plainVariables = try plain.requireCompiled().variables.keys.filter { $0.hasPrefix("optimizer/") }.sorted()
        #expect(variables == plainVariables && variables.contains("optimizer/dense/kernel/velocity"), "\(variables)")
    }
}
