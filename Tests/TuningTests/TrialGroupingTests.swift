import Foundation
import Testing
import Models
import Tracking
@testable import Tuning

/// Sweeps whose worker trains several claimed trials as one program (`--vectorize`).
struct TrialGroupingTests {
    /// The shipped circles data.
    static let circles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/data/circles.csv").path

    /// A folder with a train spec and a random sweep over it (widths, learning rates, batch norm on
    /// or off, so some trials compile alike and some do not).
    func sweepFolder(lrMax: Double = 0.3, executions: Int = 1) throws -> String {
        let folder = temporaryDirectory("grouping")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        project: grouping
        config: {units: 8, lr: 0.05, batchnorm: none}
        data: {csv: \(Self.circles), train_rows: 500}
        model:
          - Dense: {units: units, activation: relu, input_shape: [2]}
          - BatchNormalization: {when: {batchnorm: after}}
          - Dense: {units: 1, activation: sigmoid}
        compile: {optimizer: {name: sgd, learning_rate: lr, momentum: 0.9}, loss: binary_crossentropy, metrics: [accuracy]}
        fit: {epochs: 12, batch_size: 32, callbacks: [{EarlyStopping: {monitor: val_loss, patience: 3}}]}
        """.write(toFile: folder + "/train.yaml", atomically: true, encoding: .utf8)
        try """
        program: train.yaml
        method: random
        metric: {name: val_accuracy, goal: maximize}
        run_cap: 10
        executions: \(executions)
        parameters:
          units: {values: [4, 8]}
          lr: {distribution: log_uniform_values, min: 0.01, max: \(lrMax)}
          batchnorm: {values: [none, after]}
        """.write(toFile: folder + "/sweep.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    /// Runs the sweep of `folder` into `store` with `grouping`; returns each trial's state, config
    /// and score, and each run's loss history, in trial order.
    func sweep(_ folder: String, store: String, grouping: TrialGrouping, workers: Int = 1,
               wrap: (SpecTrialExecutor) -> any TrialExecutor = { $0 }) throws -> (trials: [String], histories: [[Double]]) {
        let spec = try SweepSpec.load(folder + "/sweep.yaml")
        let trainSpec = try #require(try spec.inProcessTrainSpec())
        let tracker = try Tracker(dir: store, systemMetricsInterval: nil)
        let (sweep, _) = try Sweep.open(try spec.plan(seed: 5, defaultProject: "grouping"), in: tracker.store)
        let runner = try SweepRunner(sweep: sweep, tracker: tracker, executor: wrap(try SpecTrialExecutor(spec: trainSpec)), workers: workers)
        runner.grouping = grouping
        try runner.run()
        try tracker.waitUntilWritten()
        let trials = try sweep.trials()
        let rows = trials.map { "\($0.number) \($0.state.rawValue) \($0.config.flattened.map { "\($0.key)=\($0.value)" }.sorted()) \($0.score.map { String($0) } ?? "-") \($0.error ?? "")" }
        let histories = try trials.flatMap { trial in try trial.runIDs.map { try tracker.store.history($0)["loss"]?.map(\.value) ?? [] } }
        return (rows, histories)
    }

    @Test(arguments: [1, 2])
    func trialsTrainedTogetherGiveTheSameSweepBitForBit(executions: Int) throws {
        let folder = try sweepFolder(executions: executions)
        let apart = try sweep(folder, store: folder + "/apart", grouping: .apart)
        #expect(apart.trials.count == 10 && apart.trials.allSatisfy { $0.contains(" finished ") || $0.contains(" stopped ") }, "\(apart.trials)")
        #expect(apart.histories.count == 10 * executions)
        // The early stopping callback stops some trials before 12 epochs: they end alone in their group.
        #expect(Set(apart.histories.map(\.count)).count > 1, "no trial stopped early: the test does not cover a group member ending alone")
        let recorder = GroupRecorder()
        let together = try sweep(folder, store: folder + "/together", grouping: .upTo(4)) { GroupRecordingExecutor(inner: $0, recorder: recorder) }
        #expect(together.trials == apart.trials)
        #expect(together.histories == apart.histories, "bit-identical training together")
        #expect(recorder.sizes.contains(4), "the runner formed no group of 4: \(recorder.sizes)")
        let automatic = try sweep(folder, store: folder + "/auto", grouping: .automatic, workers: 2)
        #expect(automatic.trials == apart.trials)
        #expect(automatic.histories == apart.histories)
    }

    @Test func aTrialThatDivergesInAGroupFailsAloneAndItsSiblingsAreUnchanged() throws {
        // Learning rates up to 1e6: some trials' loss becomes NaN.
        let folder = try sweepFolder(lrMax: 1e6)
        let apart = try sweep(folder, store: folder + "/apart", grouping: .apart)
        let failed = apart.trials.filter { $0.contains(" failed ") }
        #expect(!failed.isEmpty && failed.count < 10, "\(apart.trials)")
        #expect(failed.allSatisfy { $0.contains("lower the optimizer's learning_rate") }, "\(failed)")
        let together = try sweep(folder, store: folder + "/together", grouping: .upTo(10))
        #expect(together.trials == apart.trials)
        #expect(together.histories == apart.histories)
    }

    @Test func programsHoldTheModelsThatCompileAlikeInOrder() throws {
        func model(_ units: Int, _ seed: UInt64) throws -> Sequential {
            let model = try Sequential(seed: seed) { Dense(units, activation: .relu, inputShape: [2]); Dense(1, activation: .sigmoid) }
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossEntropy)
            return model
        }
        let models = try [model(4, 1), model(8, 2), model(4, 3), model(8, 4), model(16, 5)]
        #expect(TrialsTogether.programs(models) == [[0, 2], [1, 3], [4]])
    }

    @Test func theChooserDoublesWhileItPaysAndKeepsTheBestSize() {
        var chooser = GroupSizeChooser(maximum: 16, samplesPerSize: 2, minimumGain: 0.1)
        #expect(chooser.size == 1)
        chooser.record(trials: 1, seconds: 9)  // the first group compiles: not counted
        chooser.record(trials: 1, seconds: 1.0)
        #expect(chooser.size == 1, "one group measured of two")
        chooser.record(trials: 1, seconds: 1.2)
        #expect(chooser.size == 2)
        chooser.record(trials: 1, seconds: 0.1)  // a group smaller than asked (the sweep's end): ignored
        chooser.record(trials: 2, seconds: 1.2)
        chooser.record(trials: 2, seconds: 1.4)  // 0.6 s a trial: 40 % less
        #expect(chooser.size == 4 && !chooser.isSettled)
        chooser.record(trials: 4, seconds: 2.3)
        chooser.record(trials: 4, seconds: 2.2)  // 0.55 s a trial: under 10 % less
        #expect(chooser.size == 2 && chooser.isSettled)
        chooser.record(trials: 2, seconds: 100)
        #expect(chooser.size == 2, "settled for good")
    }

    @Test func groupsThatComeUpShortSettleTheChooserAtTheBestSizeMeasured() {
        var chooser = GroupSizeChooser(maximum: 16, samplesPerSize: 1, minimumGain: 0.1)
        chooser.record(trials: 1, seconds: 5)
        chooser.record(trials: 1, seconds: 1)
        chooser.record(trials: 2, seconds: 1)  // 0.5 s a trial: kept, try 4
        #expect(chooser.size == 4 && !chooser.isSettled)
        // Only 2 trials are ever claimable at once (a learning sampler's lag).
        chooser.record(trials: 2, seconds: 1)
        chooser.record(trials: 2, seconds: 1)
        #expect(!chooser.isSettled)
        chooser.record(trials: 2, seconds: 1)
        #expect(chooser.isSettled && chooser.size == 2)
    }

    @Test func aStoppedSweepStartsNoRunForTheTrialsOfAGroupNotBegun() throws {
        let folder = try sweepFolder()
        let spec = try SweepSpec.load(folder + "/sweep.yaml")
        let tracker = try Tracker(dir: folder + "/stopped", systemMetricsInterval: nil)
        let (sweep, _) = try Sweep.open(try spec.plan(seed: 5, defaultProject: "grouping"), in: tracker.store)
        let claims = try sweep.claim(count: 6)
        let control = TrialControl()
        control.requestStop()
        let executor = try SpecTrialExecutor(spec: try #require(try spec.inProcessTrainSpec()))
        let results = executor.execute(group: claims, of: sweep, tracker: tracker, control: control)
        #expect(results.count == 6)
        #expect(results.allSatisfy { if case .failure(let error) = $0 { return error is TrialInterrupted } else { return false } })
        try tracker.waitUntilWritten()
        #expect(try tracker.store.runs().isEmpty, "a stopped group started runs")
    }

    @Test func theChooserStopsAtItsMaximum() {
        var chooser = GroupSizeChooser(maximum: 4, samplesPerSize: 1, minimumGain: 0.1)
        chooser.record(trials: 1, seconds: 5)
        for size in [1, 2, 4] {
            #expect(chooser.size == size)
            chooser.record(trials: size, seconds: Double(size) * 1.0 / Double(size * size))
        }
        #expect(chooser.size == 4 && chooser.isSettled)
        #expect(GroupSizeChooser(maximum: 1).isSettled)
    }

    @Test func vectorizeParsesCountsAndAutoAndRefusesTheRest() throws {
        #expect(try TrialGrouping(parsing: "1") == .apart)
        #expect(try TrialGrouping(parsing: "8") == .upTo(8))
        #expect(try TrialGrouping(parsing: "auto") == .automatic)
        for bad in ["0", "-3", "65", "x", "", "9999999999999999999999"] {
            #expect(throws: TuningError.self, "\(bad)") { try TrialGrouping(parsing: bad) }
        }
    }
}

/// The group sizes a runner handed its executor.
final class GroupRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Int] = []
    var sizes: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
    func record(_ size: Int) {
        lock.lock()
        recorded.append(size)
        lock.unlock()
    }
}

struct GroupRecordingExecutor: TrialExecutor {
    let inner: SpecTrialExecutor
    let recorder: GroupRecorder
    func execute(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome {
        recorder.record(1)
        return try inner.execute(claim, of: sweep, tracker: tracker, control: control)
    }
    func execute(group claims: [TrialClaim], of sweep: Sweep, tracker: Tracker, control: TrialControl) -> [Result<TrialOutcome, Error>] {
        recorder.record(claims.count)
        return inner.execute(group: claims, of: sweep, tracker: tracker, control: control)
    }
}
