import Foundation
import Testing
@testable import Models

/// `Sequential.fitTogether`: models trained as the trials of one program end exactly (bit for bit)
/// where `fit` alone takes each of them, including one that stops early and one that diverges.
struct FitTogetherTests {
    static let rates = [0.05, 0.01, 0.3, 1e9]

    static func model(seed: UInt64, rate: Double) throws -> Sequential {
        let model = Sequential(name: "trial", seed: seed) {
            Dense(16, activation: .relu, inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        try model.compile(optimizer: SGD(learningRate: .constant(rate), momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        return model
    }

    static func callbacks(_ i: Int) -> [Callback] {
        i == 1 ? [EarlyStopping(monitor: "val_loss", minDelta: 0.5, patience: 1, restoreBestWeights: true)] : []
    }

    static func bits(_ history: History) -> [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        for key in history.keys { result[key] = (history.values(of: key) ?? []).map(\.bitPattern) }
        return result
    }

    @Test func everyModelEndsWhereItsFitAloneEnds() throws {
        let data = try Generators.circles(samples: 90, noise: 0.1, seed: 3)
        let validation = try Generators.circles(samples: 40, noise: 0.1, seed: 4)
        let epochs = 6
        let together = try Self.rates.enumerated().map { try Self.model(seed: UInt64($0.offset + 1), rate: $0.element) }
        let results = try Sequential.fitTogether(together, x: data.x, y: data.y, batchSize: 16, epochs: epochs,
                                                 validationData: (validation.x, validation.y), seeds: [5, 6, 7, 8],
                                                 callbacks: Self.rates.indices.map(Self.callbacks))
        #expect(results.count == Self.rates.count)
        for (i, rate) in Self.rates.enumerated() {
            let alone = try Self.model(seed: UInt64(i + 1), rate: rate)
            var aloneError: Error?
            do {
                try alone.fit(x: data.x, y: data.y, batchSize: 16, epochs: epochs, validationData: (validation.x, validation.y),
                              seed: UInt64(5 + i), callbacks: Self.callbacks(i), verbose: 0)
            } catch {
                aloneError = error
            }
            switch results[i] {
            case .success(let history):
                #expect(aloneError == nil, "model \(i) failed alone but not together")
                #expect(Self.bits(history) == Self.bits(alone.lastHistory), "model \(i): histories differ")
                #expect(history.stopReason == alone.lastHistory.stopReason)
            case .failure(let error):
                #expect("\(error)" == "\(aloneError.map { "\($0)" } ?? "no error")", "model \(i)")
                #expect(Self.bits(together[i].lastHistory) == Self.bits(alone.lastHistory), "model \(i): histories so far differ")
            }
            let a = try together[i].weights(), b = try alone.weights()
            #expect(a.keys.sorted() == b.keys.sorted())
            for (name, values) in a {
                #expect(values.map(\.bitPattern) == (b[name] ?? []).map(\.bitPattern), "model \(i), \(name): weights differ")
            }
        }
        // The cases this test is about happened: one stopped early, one diverged, two trained on.
        if case .success(let stopped) = results[1] { #expect(stopped.epochs.count < epochs) } else { Issue.record("model 1 failed") }
        if case .failure = results[3] {} else { Issue.record("model 3 (learning rate 1e9) did not diverge") }
        if case .success(let full) = results[0] { #expect(full.epochs.count == epochs) } else { Issue.record("model 0 failed") }
    }

    @Test func modelsThatCompileDifferentlyAreRefusedByName() throws {
        let a = try Self.model(seed: 1, rate: 0.1)
        let b = Sequential(name: "wider", seed: 2) {
            Dense(32, activation: .relu, inputShape: [2])
            BatchNormalization()
            Dense(1, activation: .sigmoid)
        }
        try b.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .binaryCrossEntropy, metrics: [.accuracy])
        let data = try Generators.circles(samples: 20, seed: 1)
        do {
            _ = try Sequential.fitTogether([a, b], x: data.x, y: data.y)
            Issue.record("models of different widths trained together")
        } catch {
            #expect("\(error)".contains("model 1 (\"wider\")"), "\(error)")
        }
        #expect(throws: ModelError.self) { try Sequential.fitTogether([a, a], x: data.x, y: data.y) }
        #expect(throws: ModelError.self) { try Sequential.fitTogether([], x: data.x, y: data.y) }
        #expect(throws: ModelError.self) { try Sequential.fitTogether([a], x: data.x, y: data.y, seeds: [1, 2]) }
    }
}
