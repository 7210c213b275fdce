import Charts
import Foundation
import TechniqueExamples
import Tracking
import Tuning

/// What a technique example measured: per setting (a trial), each seed's score and learning curve
/// of the sweep's metric, read from the store.
public final class TechniqueResult: Encodable, @unchecked Sendable {
    public struct Setting: Encodable, Sendable {
        /// The varied parameters' values, `units=8`.
        public var label: String
        /// The value of the numeric varied parameter (the x axis of `final.svg`), when there is one.
        public var value: Double?
        /// The other varied parameters' values, `schedule=plateau` (one line each in `final.svg`).
        public var group: String
        public var trialState: String
        public var error: String?
        /// Per seed (the trial's latest finished run of each execution): the run's score.
        public var scores: [Double]
        /// Per seed: the metric after every epoch.
        public var curves: [[Double]]
        /// When the runs logged gradient histograms (`tracking: {histograms: true}`): per layer
        /// kernel, in model order, the ℓ2 norm of its gradient on the last batch of epoch 1, mean
        /// over seeds — approximate, from the logged 64-bin histograms (each value taken at its bin's middle).
        public var firstEpochGradientNorms: [Double]?

        public var mean: Double { let finite = scores.filter(\.isFinite); return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count) }
    }

    public let example: String
    /// Each setting trained once for a few epochs (`--quick`).
    public let quick: Bool
    public let title: String
    public let sweepID: String
    public let metric: String
    public let goal: String
    public let varied: [String]
    /// The varied parameter on `final.svg`'s x axis: the only one whose values are numbers.
    public let numericParameter: String?
    public let settings: [Setting]
    /// The kernels `firstEpochGradientNorms` are about (`gradients/dense/kernel` …), in model order.
    public let gradientLayers: [String]
    public var files: [String] = []

    init(example: TechniqueCatalog.Example, sweep: Sweep, store: RunStore, quick: Bool, layerOrder: [String]) throws {
        self.example = example.name
        self.quick = quick
        title = example.title
        sweepID = sweep.info.id
        let objective = sweep.plan.objective
        metric = objective.name
        goal = objective.direction.rawValue
        let parameters = sweep.plan.space.parameters.filter { (try? $0.distribution.gridValues($0.name).count) ?? 2 > 1 }
        varied = parameters.map(\.name)
        let runs = Dictionary(try store.runs(sweep: sweep.info.id).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // The one varied parameter whose values are all numbers, if exactly one is: the x axis.
        let trials = try sweep.trials()
        func isNumber(_ value: ConfigValue?) -> Bool {
            switch value {
            case .int?, .double?: return true
            default: return false
            }
        }
        let numericParameters = varied.filter { name in trials.allSatisfy { isNumber($0.config[name]) } }
        let axis = numericParameters.count == 1 ? numericParameters.first : nil
        numericParameter = axis
        var settings: [Setting] = []
        var layers: [String] = []
        for trial in trials {
            let finished = trial.countedRuns(runs)
            var curves: [[Double]] = []
            for run in finished {
                let history = try store.history(run.id, keys: [objective.name])[objective.name] ?? []
                curves.append(history.sorted { $0.step < $1.step }.map(\.value))
            }
            let label = varied.map { "\($0)=\(trial.config[$0]?.description ?? "-")" }.joined(separator: ", ")
            let value = axis.flatMap { trial.config[$0]?.number }
            let group = varied.filter { $0 != axis }.map { "\($0)=\(trial.config[$0]?.description ?? "-")" }.joined(separator: ", ")
            let norms = try finished.map { try Self.firstEpochKernelGradientNorms(store, $0.id, layerOrder: layerOrder) }
            if let first = norms.first, !first.isEmpty { layers = first.map(\.name) }
            let meanNorms: [Double]? = norms.first.flatMap { $0.isEmpty ? nil : $0.indices.map { i in norms.map { $0.indices.contains(i) ? $0[i].norm : .nan }.reduce(0, +) / Double(norms.count) } }
            settings.append(Setting(label: label, value: value, group: group, trialState: trial.state.rawValue, error: trial.error,
                                    scores: finished.map { Self.score($0, objective) }, curves: curves, firstEpochGradientNorms: meanNorms))
        }
        self.settings = settings
        gradientLayers = layers
    }

    /// The approximate gradient norm of every kernel at the first logged step, in the order of
    /// `layerOrder` (the model's layer names; layers it does not name go last, by name).
    static func firstEpochKernelGradientNorms(_ store: RunStore, _ runID: String, layerOrder: [String]) throws -> [(name: String, norm: Double)] {
        let histograms = try store.histograms(runID).filter { $0.key.hasPrefix("gradients/") && $0.key.hasSuffix("/kernel") }
        func order(_ name: String) -> Int {
            let layer = name.split(separator: "/").dropFirst().dropLast().joined(separator: "/")
            return layerOrder.firstIndex(of: layer) ?? layerOrder.count
        }
        return histograms.keys.sorted { (order($0), $0) < (order($1), $1) }.compactMap { name in
            guard let first = histograms[name]?.min(by: { $0.step < $1.step })?.histogram else { return nil }
            var sum = 0.0
            for (i, count) in first.counts.enumerated() where i + 1 < first.edges.count {
                let middle = (first.edges[i] + first.edges[i + 1]) / 2
                sum += Double(count) * middle * middle
            }
            return (name, sum.squareRoot())
        }
    }

    /// A run's score as the sweep counts it: the last or the best epoch's value.
    static func score(_ run: RunInfo, _ objective: Objective) -> Double {
        guard let summary = run.summary[objective.name] else { return .nan }
        switch objective.aggregation {
        case .last: return summary.last
        case .bestEpoch: return objective.direction == .maximize ? summary.max : summary.min
        }
    }

    /// The learning curves of every setting, and the final score against the varied value when
    /// one numeric parameter is varied (on a log scale when it spans two decades or more).
    public func figures() -> [(file: String, svg: String)] {
        let curves = settings.enumerated().map { index, setting -> LineChart.Series in
            let length = setting.curves.map(\.count).max() ?? 0
            let means = (0..<length).map { epoch -> Double in
                let values = setting.curves.compactMap { $0.indices.contains(epoch) ? $0[epoch] : nil }.filter(\.isFinite)
                return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
            }
            return LineChart.Series(name: setting.label, values: means)
        }
        var figures = [(file: "learning-curves.svg", svg: LineChart(title: "\(example): \(metric) per epoch (mean over seeds)", xLabel: "epoch",
                                                                  yLabel: metric, series: curves).svg())]
        if !gradientLayers.isEmpty {
            let series = settings.compactMap { s in
                s.firstEpochGradientNorms.map { norms in LineChart.Series(name: s.label, points: norms.enumerated().map { (x: Double($0 + 1), y: log10($1)) }) }
            }
            figures.append((file: "gradient-norms.svg",
                            svg: LineChart(title: "\(example): gradient norm of each layer's kernel, epoch 1 (≈, from histograms)", xLabel: "layer (1 = first)",
                                           yLabel: "log10 ‖∂L/∂kernel‖", series: series).svg()))
        }
        if let parameter = numericParameter {
            let placed = settings.filter { $0.value != nil }
            let values = placed.compactMap(\.value)
            // A log axis when the positive values span two decades; a 0 among them is drawn one
            // decade below the smallest positive value (and the axis says so).
            let positive = values.filter { $0 > 0 }
            let logScale = values.allSatisfy { $0 >= 0 } && positive.count >= 2 && (positive.max() ?? 1) / (positive.min() ?? 1) >= 100
            let zeroAt = log10(positive.min() ?? 1) - 1
            let x = { (v: Double) in logScale ? (v > 0 ? log10(v) : zeroAt) : v }
            let zeroNote = logScale && values.contains(0) ? " (0 drawn at \(SVGNumber.format(zeroAt)))" : ""
            var groups: [String] = []
            for s in placed where !groups.contains(s.group) { groups.append(s.group) }
            let lines = groups.map { group in placed.filter { $0.group == group }.sorted { ($0.value ?? 0) < ($1.value ?? 0) } }
            let series = zip(groups, lines).map { group, line in
                LineChart.Series(name: group.isEmpty ? "mean over seeds" : group, points: line.map { (x: x($0.value ?? .nan), y: $0.mean) })
            }
            let bands = lines.enumerated().map { index, line in
                LineChart.Band(points: line.map { s in (x: x(s.value ?? .nan), low: s.scores.filter(\.isFinite).min() ?? .nan, high: s.scores.filter(\.isFinite).max() ?? .nan) },
                               seriesIndex: index)
            }
            if values.count > 1 {
                figures.append((file: "final.svg", svg: LineChart(title: "\(example): final \(metric) against \(parameter)", xLabel: logScale ? "log10 \(parameter)\(zeroNote)" : parameter,
                                                                  yLabel: "\(metric), mean (band: seeds' range)", series: series, bands: bands).svg()))
            }
        }
        return figures
    }

    /// The table printed at the end.
    public var table: String {
        let width = max(settings.map(\.label.count).max() ?? 0, 7)
        var lines = ["\("setting".padding(toLength: width, withPad: " ", startingAt: 0))  \(metric) mean [range] over seeds"]
        for s in settings {
            let finite = s.scores.filter(\.isFinite)
            let cell: String
            if let low = finite.min(), let high = finite.max() {
                cell = String(format: "%.4f [%.4f–%.4f]", s.mean, low, high) + (finite.count < s.scores.count ? ", \(s.scores.count - finite.count) not finite" : "")
            } else {
                cell = s.trialState + (s.error.map { ": \($0)" } ?? "")
            }
            lines.append("\(s.label.padding(toLength: width, withPad: " ", startingAt: 0))  \(cell)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Short numbers for axis notes.
enum SVGNumber {
    static func format(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(format: "%.2g", value) }
}
