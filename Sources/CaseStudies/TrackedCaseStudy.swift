import Tracking

extension BatchNormCaseStudy {
    /// The configuration a case-study run is logged with (W&B's `config`, as in the deck).
    public func runConfig(_ variant: BatchNormVariant, seed: Int) -> RunConfig {
        ["variant": .string(variant.rawValue), "model": .string(variant.summary), "seed": .int(seed), "layer_1": 50,
         "learn_rate": 0.01, "momentum": 0.9, "batch_size": 32, "epochs": .int(epochs), "loss": "binary_crossentropy"]
    }

    /// Trains one variant with one seed like `run(_:seed:callbacks:)`, logged by a
    /// `TrackingCallback` (metrics, weight and gradient histograms every epoch) to a run of
    /// `tracker` named `<variant>-seed<seed>` in `project`, grouped and tagged by variant — what
    /// `temper casestudy batchnorm` does for every run. Without a tracker nothing is logged.
    public func run(_ variant: BatchNormVariant, seed: Int, loggingTo tracker: Tracker?, project: String) throws -> CaseStudyRun {
        let logged = try tracker?.start(project: project, name: "\(variant.rawValue)-seed\(seed)", config: runConfig(variant, seed: seed),
                                        tags: [variant.rawValue], group: variant.rawValue)
        return try run(variant, seed: UInt64(seed), callbacks: logged.map { [TrackingCallback($0)] } ?? [])
    }
}
