import Foundation
import Tracking
import Tuning

/// The samplers' quality and cost on the usual test functions: 50-trial studies of Branin
/// (2-D, optimum 0.397887) and Hartmann6 (6-D, optimum −3.32237), one per seed; the median simple
/// regret (best found minus the optimum) and the median seconds per study, for random search,
/// TPE and the Gaussian process (lag 0: the sequential search Optuna runs).
public enum HPOBenchmark {
    public struct Figures: Sendable {
        public var function: String
        public var sampler: String
        public var medianRegret: Double
        public var medianSeconds: Double
        public var regrets: [Double]
    }

    struct TestFunction {
        let name: String
        let space: SearchSpace
        let optimum: Double
        let f: ([String: ConfigValue]) -> Double
    }

    static func functions() throws -> [TestFunction] {
        let branin = try SearchSpace([
            SearchParameter(name: "x", distribution: try FloatHyperparameter(name: "x", min: -5, max: 10)),
            SearchParameter(name: "y", distribution: try FloatHyperparameter(name: "y", min: 0, max: 15)),
        ])
        let hartmann = try SearchSpace((0..<6).map { SearchParameter(name: "x\($0)", distribution: try FloatHyperparameter(name: "x\($0)", min: 0, max: 1)) })
        let a: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
        let p: [[Double]] = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                             [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]].map { $0.map { $0 * 1e-4 } }
        let alpha: [Double] = [1, 1.2, 3, 3.2]
        return [
            TestFunction(name: "branin", space: branin, optimum: 0.397887) { c in
                let x = c["x"]?.number ?? 0, y = c["y"]?.number ?? 0
                let b = 5.1 / (4 * Double.pi * Double.pi), cc = 5 / Double.pi, t = 1 / (8 * Double.pi)
                return pow(y - b * x * x + cc * x - 6, 2) + 10 * (1 - t) * cos(x) + 10
            },
            TestFunction(name: "hartmann6", space: hartmann, optimum: -3.32237) { c in
                let x: [Double] = (0..<6).map { c["x\($0)"]?.number ?? 0 }
                var total = 0.0
                for i in 0..<4 {
                    var exponent = 0.0
                    for j in 0..<6 {
                        let d: Double = x[j] - p[i][j]
                        exponent += a[i][j] * d * d
                    }
                    total += alpha[i] * exp(-exponent)
                }
                return -total
            },
        ]
    }

    static let samplers: [(String, any Sampler)] = [
        ("random", RandomSampler()), ("tpe", TPESampler(lag: 0)), ("gp", BayesianSampler(lag: 0)),
    ]

    public static func run(trials: Int = 50, seeds: Int = 10) throws -> [Figures] {
        var result: [Figures] = []
        for function in try functions() {
            for (name, sampler) in samplers {
                var regrets: [Double] = [], seconds: [Double] = []
                for seed in 1...UInt64(seeds) {
                    let started = Date()
                    var past: [(config: [String: ConfigValue], state: TrialState, score: Double?)] = []
                    for trial in 0..<trials {
                        let context = SamplingContext(space: function.space, trial: trial, seed: seed, previous: past, direction: .minimize)
                        guard let config = try sampler.propose(context) else { break }
                        past.append((config, .finished, function.f(config)))
                    }
                    seconds.append(Date().timeIntervalSince(started))
                    regrets.append((past.compactMap(\.score).min() ?? .infinity) - function.optimum)
                }
                result.append(Figures(function: function.name, sampler: name, medianRegret: median(regrets), medianSeconds: median(seconds), regrets: regrets))
            }
        }
        return result
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
