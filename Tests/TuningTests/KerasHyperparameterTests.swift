import Foundation
import Testing
import Tracking
@testable import Tuning

/// Keras Tuner's hyperparameters against Keras Tuner's definitions (its `hp_utils` and
/// `numerical` formulas, quoted in the doc comments).
struct KerasHyperparameterTests {
    func sample(_ d: any Distribution, _ n: Int = 10_000) -> [ConfigValue] { (0..<n).map { d.value(at: (Double($0) + 0.5) / Double(n)) } }

    @Test func intWithAStepCoversEveryGridPointEquallyIncludingMax() throws {
        let units = try IntHyperparameter(name: "units", min: 32, max: 512, step: 32)
        let values = sample(units, 16_000)
        #expect(Set(values) == Set((1...16).map { ConfigValue.int($0 * 32) }))
        for v in 1...16 { #expect(values.filter { $0 == .int(v * 32) }.count == 1000) }
        #expect(units.defaultValue == .int(32))
        #expect(try units.gridValues("units").first == .int(32) && units.gridValues("units").count == 16)
    }

    @Test func logSamplingIsUniformInTheLog() throws {
        // The deck's learning rate: r = −4·rand(), lr = 10^r — log-uniform on [1e-4, 1].
        let lr = try FloatHyperparameter(name: "lr", min: 1e-4, max: 1, sampling: .log)
        for u in [0.0, 0.25, 0.5, 0.75] { #expect(abs(lr.value(at: u).number! - pow(10, -4 * (1 - u))) < 1e-15) }
        let x = sample(lr).compactMap(\.number)
        let meanLog: Double = x.map { log10($0) }.reduce(0, +) / Double(x.count)
        #expect(abs(meanLog + 2) < 1e-9)
        // Int without a step draws over [min, max + 1) and truncates: 2 … 32 all reachable.
        let n = try IntHyperparameter(name: "n", min: 2, max: 32, sampling: .log)
        let ints = Set(sample(n, 5000).compactMap(\.number))
        #expect(ints.min() == 2 && ints.max() == 32)
        // A log step is a factor: 2, 4, 8, 16, 32.
        let doubling = try IntHyperparameter(name: "d", min: 2, max: 32, step: 2, sampling: .log)
        #expect(Set(sample(doubling, 500)) == [2, 4, 8, 16, 32])
    }

    @Test func reverseLogIsDenseNearMax() throws {
        // max + min − min·(max/min)^(1−p).
        let beta = try FloatHyperparameter(name: "beta", min: 0.9, max: 0.999, sampling: .reverseLog)
        #expect(abs(beta.value(at: 0).number! - 0.9) < 1e-15)
        for p in [0.2, 0.5, 0.8] { #expect(abs(beta.value(at: p).number! - (0.999 + 0.9 - 0.9 * pow(0.999 / 0.9, 1 - p))) < 1e-15) }
        let x = sample(beta).compactMap(\.number).sorted()
        #expect(x[x.count / 2] > (0.9 + 0.999) / 2, "the median lies above the midpoint")
        #expect(x.allSatisfy { $0 >= 0.9 && $0 <= 0.999 })
    }

    @Test func choicesAndBooleansSplitTheUnitInterval() throws {
        let lr = try ChoiceHyperparameter(name: "lr", values: [1e-2, 1e-3, 1e-4])
        #expect(lr.value(at: 0.2) == 1e-2 && lr.value(at: 0.4) == 1e-3 && lr.value(at: 0.99) == 1e-4)
        #expect(lr.defaultValue == 1e-2 && lr.ordered)
        let withDefault = try ChoiceHyperparameter(name: "c", values: [1, 2, 3], default: 2)
        #expect(try withDefault.gridValues("c") == [2, 1, 3])
        let flag = BooleanHyperparameter()
        #expect(flag.value(at: 0.49) == false && flag.value(at: 0.5) == true)
        #expect(try flag.gridValues("f") == [false, true])
    }

    @Test func floatStepsIncludeMax() throws {
        // Keras Tuner 1.4's float floor division drops 1.0 here; Temper includes it.
        let rate = try FloatHyperparameter(name: "rate", min: 0, max: 1, step: 0.2)
        let grid = try rate.gridValues("rate").compactMap(\.number)
        #expect(grid.count == 6 && abs(grid.last! - 1) < 1e-12)
    }

    @Test func invalidHyperparametersAreClearErrors() {
        #expect { try IntHyperparameter(name: "units", min: 10, max: 1) } throws: { "\($0)".contains("units: min 10.0 is greater than max 1.0") }
        #expect { try FloatHyperparameter(name: "lr", min: 0, max: 1, sampling: .log) } throws: { "\($0)".contains("lr: log sampling needs min > 0") }
        #expect { try IntHyperparameter(name: "n", min: 1, max: 8, step: 1, sampling: .log) } throws: { "\($0)".contains("must be > 1") }
        #expect { try ChoiceHyperparameter(name: "c", values: []) } throws: { "\($0)".contains("at least one value") }
        #expect { try ChoiceHyperparameter(name: "c", values: [1, "a"]) } throws: { "\($0)".contains("all numbers, all strings") }
        #expect { try ChoiceHyperparameter(name: "c", values: [1, 2], default: 3) } throws: { "\($0)".contains("default 3 is not one of") }
        #expect { try IntHyperparameter(name: "u", min: 1, max: 5, default: 9) } throws: { "\($0)".contains("outside") }
    }

    @Test func conditionalHyperparametersAreActiveOnlyUnderTheirParent() throws {
        func build(_ hp: HyperParameters) throws -> (String, Int, Double) {
            let model = try hp.choice("model", ["mlp", "cnn"])
            let units = try hp.int("units", min: 8, max: 64, step: 8, parentName: "model", parentValues: ["mlp"])
            let rate = try hp.conditionalScope("model", ["cnn"]) { try hp.float("rate", min: 0, max: 0.5, default: 0.25) }
            return (model, units, rate)
        }
        let mlp = HyperParameters(assigned: ["model": "mlp", "units": 24, "rate": 0.4])
        let (_, units, rate) = try build(mlp)
        #expect(units == 24 && rate == 0.25)  // rate inactive: its default, and absent
        #expect(mlp.values == ["model": "mlp", "units": 24])
        let cnn = HyperParameters(assigned: ["model": "cnn", "units": 24, "rate": 0.4])
        #expect(try build(cnn).2 == 0.4)
        #expect(cnn.values == ["model": "cnn", "rate": 0.4])
        #expect { try cnn.get("units") } throws: { "\($0)".contains("inactive") }
        #expect(cnn.space.parameters.map(\.name) == ["model", "units", "rate"])
        // A grid over the space: model mlp × 8 unit values, model cnn × 10 rate buckets.
        #expect(try cnn.space.gridCount() == 8 + 10)
    }

    @Test func redeclaringAHyperparameterDifferentlyIsAnError() throws {
        let hp = HyperParameters()
        _ = try hp.int("units", min: 1, max: 4)
        #expect(try hp.int("units", min: 1, max: 4) == 1)
        #expect { try hp.int("units", min: 1, max: 8) } throws: { "\($0)".contains("declared again") }
        #expect { try hp.conditionalScope("nope", [1]) { 0 } } throws: { "\($0)".contains("not declared yet") }
    }
}
