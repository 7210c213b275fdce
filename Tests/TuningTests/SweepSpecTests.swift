import Foundation
import Testing
import Tracking
@testable import Tuning

/// W&B sweep files read as W&B reads them, and their mistakes reported with key and line.
struct SweepSpecTests {
    func spec(_ text: String) throws -> SweepSpec { try SweepSpec(text: text, source: "sweep.yaml") }

    func expectError(_ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { try spec(text) } throws: { error in
            let description = "\(error)"
            if !description.contains(message) { Issue.record("\(description) lacks \(message)", sourceLocation: sourceLocation) }
            return true
        }
    }

    @Test func distributionsAreInferredAsWandBInfersThem() throws {
        let s = try spec("""
            program: train.py
            method: random
            metric: {name: loss}
            parameters:
              c: {values: [a, b]}
              n: {min: 1, max: 5}
              x: {min: 1.0, max: 5}
              k: {value: 7}
              lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
            """)
        func kind(_ name: String) -> WandbDistribution.Kind? { (s.space[name]?.distribution as? WandbDistribution)?.kind }
        #expect(kind("c") == .categorical && kind("n") == .intUniform && kind("x") == .uniform && kind("k") == .constant && kind("lr") == .logUniformValues)
        #expect(s.objective.direction == .minimize && s.objective.aggregation == .last)
        #expect(s.command == SweepSpec.defaultCommand)
        // Sorted by name, as W&B orders them.
        #expect(s.space.parameters.map(\.name) == ["c", "k", "lr", "n", "x"])
    }

    @Test func nestedParametersBecomeDottedNamesAndTheGridChangesTheLastFastest() throws {
        let s = try spec("""
            program: train.py
            method: grid
            metric: {name: val_accuracy, goal: maximize, target: 0.9}
            parameters:
              zeta: {values: [1, 2]}
              optimizer:
                parameters:
                  lr: {values: [0.1, 0.01]}
                  b: {distribution: q_uniform, min: 0, max: 1, q: 0.5}
              alpha: {values: [x, y]}
            """)
        #expect(s.space.parameters.map(\.name) == ["alpha", "optimizer.b", "optimizer.lr", "zeta"])
        let grid = try s.space.grid()
        #expect(grid.count == 2 * 2 * 2 * 2)
        #expect(grid[0] == ["alpha": "x", "optimizer.b": 0.0, "optimizer.lr": 0.1, "zeta": 1])
        #expect(grid[1] == ["alpha": "x", "optimizer.b": 0.0, "optimizer.lr": 0.1, "zeta": 2])
        #expect(grid[2] == ["alpha": "x", "optimizer.b": 0.0, "optimizer.lr": 0.01, "zeta": 1])
        #expect(grid[0].nested() == ["alpha": "x", "optimizer": ["b": 0.0, "lr": 0.1], "zeta": 1])
        #expect(s.objective.target == 0.9)
    }

    @Test func earlyTerminateIsReadAsWandBFillsIt() throws {
        let base = "method: random\nmetric: {name: acc, goal: maximize}\nparameters:\n  lr: {values: [1, 2]}\nprogram: p\n"
        guard case .wandbHyperband(let minIter)? = try spec(base + "early_terminate: {type: hyperband, min_iter: 3}").earlyTermination,
              case .wandbHyperband(let maxIter)? = try spec(base + "early_terminate: {type: hyperband, max_iter: 27, s: 2, eta: 3, strict: false}").earlyTermination
        else { Issue.record("type: hyperband is W&B's rule"); return }
        #expect(minIter.bands.prefix(3) == [3, 9, 27] && minIter.eta == 3 && minIter.strict && minIter.direction == .maximize)
        #expect(maxIter.bands == [3, 9] && !maxIter.strict)
        #expect(try spec(base).earlyTermination == nil)
        guard case .asha(let asha)? = try spec(base + "early_terminate: {type: asha, min_iter: 2, eta: 2, max_iter: 20}").earlyTermination,
              case .hyperband(let hyperband)? = try spec(base + "early_terminate: {type: async_hyperband, max_iter: 27}").earlyTermination
        else { Issue.record("asha and async_hyperband are Temper's policies"); return }
        #expect(asha.rungs == [2, 4, 8, 16] && asha.direction == .maximize && asha.minEarlyStoppingRate == 0)
        #expect(hyperband.minIter == 1 && hyperband.eta == 3 && hyperband.weights == [27, 12, 6, 4])
        // Early termination is part of what makes the trials: another rule is another sweep.
        #expect(try spec(base).plan(defaultProject: "p").specHash != spec(base + "early_terminate: {type: hyperband, min_iter: 3}").plan(defaultProject: "p").specHash)
    }

    @Test func mistakesNameTheKeyAndTheLine() {
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {distribution: log_uniform_value, min: 1, max: 2}\nprogram: p",
                    "sweep.yaml:4: parameters.lr.distribution: unknown distribution log_uniform_value; did you mean log_uniform_values?")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {min: 5, max: 1}\nprogram: p", "lr (int_uniform): min 5 must be less than max 1")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {distribution: log_uniform_values, min: 0, max: 1}\nprogram: p", "must be positive")
        expectError("method: grid\nmetric: {name: l}\nparameters:\n  lr: {min: 0.1, max: 1.0}\nprogram: p", "lr is uniform, which a grid cannot enumerate")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: hyperband}",
                    "needs min_iter, or max_iter and s")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: median, min_iter: 3}",
                    "early_terminate type must be hyperband (W&B's rule), asha or async_hyperband, not \"median\"")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: asha, min_iter: 3, s: 2}",
                    "unknown key")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: asha, min_early_stopping_rate: .nan}",
                    "min_early_stopping_rate must be a whole number from 0 to 64, not nan")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: async_hyperband, min_iter: 3}",
                    "async_hyperband needs max_iter")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: async_hyperband, max_iter: 27, eta: 2.5}",
                    "eta of async_hyperband must be a whole number from 2 to 1000000, not 2.5")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: async_hyperband, max_iter: 9, min_iter: 10}",
                    "sweep.yaml:6: early_terminate: async_hyperband needs 1 ≤ min_iter ≤ max_iter")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: hyperband, min_iter: 3, eta: 1}",
                    "eta must be a number above 1")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: hyperband, max_iter: 9, s: .nan}",
                    "s is the number of bands, a whole number from 1 to 64, not nan")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: hyperband, max_iter: 9, s: 1e30}",
                    "a whole number from 1 to 64")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nearly_terminate: {type: hyperband, max_iter: 2, s: 3}",
                    "sweep.yaml:6: early_terminate: max_iter 2, s 3 and eta 3.0 give no band")
        expectError("method: bayes\nmetric: {name: l, impute: best}\nparameters:\n  lr: {values: [1]}\nprogram: p", "impute best is not supported")
        expectError("method: bayes\nmetric: {name: l, impute_while_running: worst}\nparameters:\n  lr: {values: [1]}\nprogram: p",
                    "impute_while_running is not supported")
        expectError("method: custom\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p", "use grid, random, bayes or tpe")
        expectError("method: random\nparameters:\n  lr: {values: [1]}\nprogram: p", "metric is required")
        expectError("method: random\nmetric: {name: l, goal: maximise}\nparameters:\n  lr: {values: [1]}\nprogram: p", "goal is minimize or maximize")
        expectError("method: random\nmetric: {name: l}\nparamters:\n  lr: {values: [1]}\nprogram: p", "unknown key \"paramters\"; did you mean parameters?")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1], step: 2}\nprogram: p", "unknown key \"step\"")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {distribution: int_uniform, min: 1.0, max: 5.0}\nprogram: p", "int_uniform needs integer min and max")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\ncommand: python train.py", "command is a list")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\ncommand:\n  - python\n  - ${prog}", "unknown macro ${prog}")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]}\nprogram: p\nrun_cap: 0", "run_cap must be positive")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: [1, 2]\nprogram: p", "expected a mapping")
        expectError("method: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1]\nprogram: p", "not valid YAML")
    }

    @Test func commandMacrosExpandAsTheWandBAgentDoes() throws {
        let config: RunConfig = ["lr": 1e-5, "flag": true, "off": false, "name": "a b", "dims": [1, 2], "opt": ["beta": 0.9, "kind": "adam"], "n": 3]
        let args = try CommandMacros.expand(["${env}", "${interpreter}", "${program}", "${args}"], program: "train.py", config: config, jsonFile: "/tmp/x.json",
                                            environment: ["PATH": "/nonexistent"])
        #expect(args == ["/usr/bin/env", "python3", "train.py", "--dims=[1, 2]", "--flag=True", "--lr=1e-05", "--n=3", "--name=a b", "--off=False",
                         "--opt={'beta': 0.9, 'kind': 'adam'}"])
        let flags = try CommandMacros.expand(["${args_no_boolean_flags}"], program: nil, config: ["flag": true, "off": false, "x": 3.0], jsonFile: "")
        #expect(flags == ["--flag", "--x=3.0"])
        #expect(try CommandMacros.expand(["${args_no_hyphens}"], program: nil, config: ["a": 1], jsonFile: "") == ["a=1"])
        let json = try CommandMacros.expand(["${args_json}"], program: nil, config: ["b": "x", "a": 0.5], jsonFile: "")
        #expect(json == [#"{"a": 0.5, "b": "x"}"#])
        let env = try CommandMacros.expand(["--data=${envvar:DATA_DIR}/x", "${envvar:UNSET_VAR}"], program: nil, config: [:], jsonFile: "",
                                           environment: ["DATA_DIR": "/d"])
        #expect(env == ["--data=/d/x", "UNSET_VAR"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("args-\(UUID().uuidString).json").path
        #expect(try CommandMacros.expand(["${args_json_file}"], program: nil, config: ["a": 1], jsonFile: file) == [file])
        #expect(String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self) == #"{"a": 1}"#)
    }

    @Test func theSamePlanKeepsItsHashAndAnotherDoesNot() throws {
        let text = "program: p\nmethod: random\nmetric: {name: l}\nparameters:\n  lr: {values: [1, 2]}\nrun_cap: 3\n"
        let a = try spec(text).plan(defaultProject: "x"), b = try spec(text).plan(defaultProject: "x")
        #expect(a.specHash == b.specHash && a.seed == 1)
        #expect(try spec(text.replacingOccurrences(of: "run_cap: 3", with: "run_cap: 4")).plan(defaultProject: "x").specHash != a.specHash)
        #expect(try spec(text).plan(seed: 9, defaultProject: "x").seed == 9)
    }
}
