import Charts
import Foundation
import Models
import Tracking
import Tuning

/// What every lab experiment takes: the seeds, the quick mode, where the figures and JSON go,
/// where the runs are logged, and where progress is printed.
public struct LabOptions: Sendable {
    /// Seeds 1…seeds: each variant is trained once per seed (its initial weights and shuffling).
    public var seeds: Int
    /// A few epochs on fewer seeds' worth of work, for tests (under 20 s an experiment).
    public var quick: Bool
    /// The folder the SVG figures are written to (nil: none).
    public var out: String?
    /// The file the JSON of the numbers is written to (nil: none).
    public var json: String?
    /// The store every run is logged to (nil: none).
    public var tracker: Tracker?
    /// The project the runs are logged under (nil: `lab-<experiment>`).
    public var project: String?
    /// Stops a running experiment (the command's Ctrl-C): a sweep ends its running trials at their
    /// next epoch and keeps them to run again; the experiment then throws `LabInterrupted`.
    public let control = StopSignal()
    /// Progress lines (by default printed and flushed at once, so a pipe or a file gets each
    /// line as it comes, even when the command is interrupted).
    public var log: @Sendable (String) -> Void

    public init(seeds: Int = 3, quick: Bool = false, out: String? = nil, json: String? = nil, tracker: Tracker? = nil, project: String? = nil,
                log: @escaping @Sendable (String) -> Void = { print($0); fflush(nil) }) throws {
        guard seeds >= 1, seeds <= 1000 else { throw ModelError.invalidConfiguration("the lab needs 1 to 1000 seeds, got \(seeds)") }
        self.seeds = seeds
        self.quick = quick
        self.out = out
        self.json = json
        self.tracker = tracker
        self.project = project
        self.log = log
    }

    /// The seeds a run uses: `seeds`, at most 2 with `quick`.
    public var seedCount: Int { quick ? Swift.min(seeds, 2) : seeds }

    func project(for experiment: LabExperiment) -> String { project ?? "lab-\(experiment.rawValue)" }

    /// Writes the figures and the JSON where asked; returns the paths written.
    func write<R: Encodable>(_ result: R, figures: [(file: String, svg: String)]) throws -> [String] {
        var written: [String] = []
        let store = tracker?.store.path
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for figure in figures {
                let path = (out as NSString).appendingPathComponent(figure.file)
                try OutputFile.write(figure.svg, to: path, protecting: store)
                written.append(path)
            }
        }
        if let json {
            try OutputFile.writeJSON(result, to: json, protecting: store)
            written.append(json)
        }
        return written
    }

    /// Starts a run of the experiment in the store (nil without a tracker).
    func startRun(_ experiment: LabExperiment, name: String, config: RunConfig, group: String) throws -> Run? {
        try tracker?.start(project: project(for: experiment), name: name, config: config, tags: ["lab", experiment.rawValue, group], group: group)
    }
}

/// The lab's experiments, one command each (`temper lab <name>`).
public enum LabExperiment: String, CaseIterable, Sendable, Codable {
    case covariateShift = "covariate-shift"
    case learningRate = "learning-rate"
    case smoothness
    case finalLayer = "final-layer"

    /// The figures it writes into its folder.
    public var figureFiles: [String] {
        switch self {
        case .covariateShift: return ["covariate-shift-accuracy.svg", "covariate-shift-sigmoid-input-plain.svg", "covariate-shift-sigmoid-input-bn.svg"]
        case .learningRate: return ["learning-rate-accuracy.svg", "learning-rate-divergence.svg"]
        case .smoothness:
            return ["smoothness-loss-landscape.svg", "smoothness-gradient-predictiveness.svg", "smoothness-beta.svg", "smoothness-noisy-bn-accuracy.svg"]
        case .finalLayer:
            return ["final-layer-logit-norm.svg", "final-layer-logit-norm-training-mode.svg", "final-layer-test-accuracy.svg", "final-layer-test-loss.svg"]
        }
    }
}

/// Calls `measure` before the first step (epoch 0) and after every epoch (epoch e + 1), and
/// logs what it returns to the run under those steps, beside `TrackingCallback`'s epoch logs.
final class EpochProbe: Callback {
    let measure: (Int, Training) throws -> [String: Double]
    let run: Run?
    private(set) var measurements: [[String: Double]] = []

    init(run: Run?, measure: @escaping (Int, Training) throws -> [String: Double]) {
        self.run = run
        self.measure = measure
    }

    func onTrainBegin(_ training: Training) throws { try record(0, training) }

    func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws { try record(epoch + 1, training) }

    private func record(_ step: Int, _ training: Training) throws {
        let values = try measure(step, training)
        measurements.append(values)
        let keys = values.keys.sorted()
        try run?.log(keys: keys, values: keys.map { values[$0] ?? .nan }, step: step)
    }
}


/// An experiment stopped before its end; what it finished is kept (a sweep resumes).
public struct LabInterrupted: Error, CustomStringConvertible {
    public let description: String
}
