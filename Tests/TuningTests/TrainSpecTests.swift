import Foundation
import Testing
import Models
import Tracking
@testable import Tuning

/// Train specs: config references, `when:`, overrides, and errors naming the line.
struct TrainSpecTests {
    static let circles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/data/circles.csv").path

    func spec(_ body: String) throws -> TrainSpec {
        try TrainSpec(text: """
            config: {units: 6, lr: 0.1, bn: none, epochs: 2}
            data: {csv: \(Self.circles), train_rows: 500}
            \(body)
            """, source: "/tmp/spec.yaml")
    }

    static let model = """
        model:
          - Dense: {units: units, activation: relu, input_shape: [2]}
          - BatchNormalization: {when: {bn: [after, both]}}
          - Dense: {units: 1, activation: sigmoid}
        compile: {optimizer: {name: sgd, learning_rate: lr}, loss: binary_crossentropy, metrics: [accuracy]}
        fit: {epochs: epochs, batch_size: 50}
        """

    @Test func valuesNamingConfigKeysAndWhenFollowTheConfig() throws {
        let s = try spec(Self.model)
        let plain = try s.model(s.config)
        #expect(plain.layers.count == 2 && plain.parameterCounts.total == (2 * 6 + 6) + (6 + 1))
        let config = s.configuration(overrides: ["units": 10, "bn": "after"])
        let model = try s.model(config)
        #expect(model.layers.count == 3 && model.parameterCounts.total == (2 * 10 + 10) + 4 * 10 + (10 + 1))
        let history = try s.fit(model, data: try s.data(config), config: config)
        #expect(try history.epochs.count == 2 && !history["val_accuracy"].isEmpty)
        // Dotted overrides reach nested keys.
        #expect(s.configuration(overrides: ["optimizer.lr": 0.5])["optimizer"] == ["lr": 0.5])
    }

    /// A list of optimizers with `when:`: the first that holds is used (clipping chosen by a sweep).
    @Test func optimizerAlternativesFollowTheConfig() throws {
        let s = try spec("""
            model:
              - Dense: {units: 1, activation: sigmoid, input_shape: [2]}
            compile:
              optimizer:
                - {name: sgd, learning_rate: lr, clipnorm: 1.0, when: {bn: norm}}
                - {name: sgd, learning_rate: lr, clipvalue: 0.5, when: {bn: value}}
                - {name: adam, learning_rate: 0.01}
              loss: binary_crossentropy
            """)
        let (norm, _, _) = try s.compileArguments(s.configuration(overrides: ["bn": "norm"]))
        #expect((norm as? SGD)?.clipping == .byNorm(1.0))
        let (value, _, _) = try s.compileArguments(s.configuration(overrides: ["bn": "value"]))
        #expect((value as? SGD)?.clipping == .byValue(0.5))
        let (neither, _, _) = try s.compileArguments(s.config)
        #expect(neither is Adam && neither.clipping == .none)
        // A list with no alternative for the spec's own config is refused when the spec is read.
        #expect { _ = try spec("""
            model:
              - Dense: {units: 1, activation: sigmoid, input_shape: [2]}
            compile:
              optimizer:
                - {name: sgd, when: {bn: norm}}
              loss: binary_crossentropy
            """) } throws: { "\($0)".contains("no optimizer has a when: that holds") }
        // Every alternative is checked, also those after the one used; a single optimizer's when: counts.
        for (entries, message) in [("- {name: adam}\n    - {name: sgd, learnin_rate: 0.1}", "unknown key \"learnin_rate\""),
                                   ("- {name: adam}\n    - {name: nosuchopt}", "unknown optimizer nosuchopt"),
                                   ("- {name: adam, when: {bn: none, nokey: x}}", "when: nokey is not a config key"),
                                   ("{name: sgd, when: {bn: zzz}}", "no optimizer has a when: that holds")] {
            #expect(throws: (any Error).self, "\(entries)") { _ = try spec("""
                model:
                  - Dense: {units: 1, activation: sigmoid, input_shape: [2]}
                compile:
                  optimizer:
                    \(entries)
                  loss: binary_crossentropy
                """) }
            do {
                _ = try spec("model:\n  - Dense: {units: 1, activation: sigmoid, input_shape: [2]}\ncompile:\n  optimizer:\n    \(entries)\n  loss: binary_crossentropy")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test func mistakesNameTheLineAndKey() throws {
        func rejects(_ body: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(sourceLocation: sourceLocation) { try spec(body) } throws: { error in
                if !"\(error)".contains(message) { Issue.record("\(error) lacks \(message)", sourceLocation: sourceLocation) }
                return true
            }
        }
        rejects(Self.model.replacingOccurrences(of: "Dense: {units: 1", with: "Dens: {units: 1"), "unknown layer Dens (did you mean Dense?)")
        rejects(Self.model.replacingOccurrences(of: "activation: relu", with: "activaton: relu"), "unknown key \"activaton\"; did you mean activation?")
        rejects(Self.model.replacingOccurrences(of: "name: sgd", with: "name: sgdd"), "unknown optimizer sgdd")
        rejects(Self.model.replacingOccurrences(of: "batch_size: 50", with: "batch_size: -1"), "batch_size must be positive")
        rejects(Self.model.replacingOccurrences(of: "epochs: epochs", with: "epochs: \"${nope}\""), "${nope} names no config key")
        rejects(Self.model.replacingOccurrences(of: "compile:", with: "compiler:"), "unknown key \"compiler\"; did you mean compile?")
        rejects(Self.model.replacingOccurrences(of: "activation: relu", with: "activation: relux"), "/tmp/spec.yaml:4: model.[0].Dense.activation")
    }
}
