import Graph

/// Noise whose distribution changes at every training step: the "noisy BatchNorm" of Santurkar
/// et al. (2018), who put it after each batch normalization to create covariate shift on purpose.
///
/// At every training step each feature `j` gets a mean `μⱼ ~ N(0, shift²)` and a standard
/// deviation `σⱼ = |N(0, spread²)|`, and every value of the batch gets its own draw from that
/// distribution: `yᵢⱼ = xᵢⱼ + μⱼ + σⱼ·zᵢⱼ`, `zᵢⱼ ~ N(0, 1)`. So the distribution a following
/// layer sees moves (mean and variance) from step to step. Identity in inference. The draws are a
/// function of the seed (given, or derived from the model's seed and the layer name), the step
/// and the position, as for `Dropout`.
public final class NonstationaryNoise: Layer {
    public var name: String
    /// The standard deviation of each step's per-feature mean `μⱼ`.
    public let shift: Double
    /// The scale of each step's per-feature standard deviation `σⱼ = |N(0, spread²)|`.
    public let spread: Double
    public let seed: UInt64?
    var derivedSeed: UInt64 = 0
    public var typeName: String { "NonstationaryNoise" }
    public var baseName: String { "nonstationary_noise" }

    public init(shift: Double, spread: Double, seed: UInt64? = nil, name: String = "") {
        self.shift = shift
        self.spread = spread
        self.seed = seed
        self.name = name
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard shift >= 0, spread >= 0, Float(shift).isFinite, Float(spread).isFinite else {
            throw ModelError.invalidConfiguration("layer \"\(name)\" (NonstationaryNoise): shift and spread must be non-negative and finite in Float32, got \(shift) and \(spread)")
        }
        _ = try requireFlatInput(inputShape, layer: self)
        return inputShape
    }

    public func forward(_ x: NodeID, _ context: LayerContext) throws -> NodeID {
        guard context.training, shift > 0 || spread > 0 else { return x }
        let g = context.graph
        guard let features = g[x].shape.dims.last else { return x }
        let base = seed ?? derivedSeed
        let perFeature = try g.constant([Double](repeating: 0, count: features), shape: Shape([features]), name: context.name(self, "zeros"))
        let mean = try g.gaussianNoise(perFeature, stddev: shift, seed: base ^ 0x9E37_79B9_7F4A_7C15, name: context.name(self, "mean"))
        let deviation = try g.abs(g.gaussianNoise(perFeature, stddev: spread, seed: base ^ 0xC2B2_AE3D_27D4_EB4F, name: context.name(self, "deviation_draw")),
                                  name: context.name(self, "deviation"))
        let zeros = try g.mul(g.stopGradient(x), g.scalar(0), name: context.name(self, "batch_zeros"))
        let standard = try g.gaussianNoise(zeros, stddev: 1, seed: base ^ 0x1656_67B1_9E37_79F9, name: context.name(self, "standard"))
        let noise = try g.add(mean, g.mul(deviation, standard), name: context.name(self, "noise"))
        return try g.add(x, noise, name: context.name(self, "add"))
    }
}

extension NonstationaryNoise: SeededLayer {}
