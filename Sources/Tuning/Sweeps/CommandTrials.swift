import Foundation
import Tracking

/// Runs a trial as a subprocess: W&B's `command` with its macros expanded, the environment
/// holding `TEMPER_STORE` (and `TEMPER_DIR` for a store directory), `TEMPER_SWEEP_ID`, `TEMPER_RUN_ID`, `TEMPER_TRIAL` and `TEMPER_SEED`.
///
/// The trial's run is registered first (with the trial's config). The program reports metrics
/// either through the Tracking API (`Tracker().start(…)` picks the run up from the environment) or
/// by printing JSON lines to standard output (`{"epoch": 3, "val_accuracy": 0.84}`: numbers are
/// logged at the line's `step` or `epoch`, else at the line's count). Its output goes to
/// `<store>/sweeps/<sweep id>/trial-<n>.log` (for a PostgreSQL store, under `./temper-runs/sweeps`
/// on the machine that runs the trial). A non-zero exit fails the trial, with the log's
/// last lines; the trial's score is the metric's last logged value. A trial that early termination
/// stops keeps what it logged up to the line it was judged on: what the program prints after
/// (before the interrupt reaches it, however fast it runs) is not logged, so the trial's history
/// and score do not depend on timing.
public struct CommandTrialExecutor: TrialExecutor {
    public let spec: SweepSpec

    public init(spec: SweepSpec) { self.spec = spec }

    /// Where trials' output is kept: beside a store file, else in the local default directory.
    static func logFolder(_ store: RunStore) -> String {
        let base = store.engine.dialect == .sqlite ? (store.path as NSString).deletingLastPathComponent : RunStore.defaultDirectory(nil, environment: [:])
        return (base as NSString).appendingPathComponent("sweeps")
    }

    public func execute(_ claim: TrialClaim, of sweep: Sweep, tracker: Tracker, control: TrialControl) throws -> TrialOutcome {
        let plan = sweep.plan, trial = claim.trial
        let logs = (Self.logFolder(sweep.store) as NSString).appendingPathComponent(sweep.info.id)
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        var scores: [Double] = []
        var stopReasons: [String] = []
        for execution in 0..<plan.executionsPerTrial {
            let seed = SweepSeeds.execution(trial.seed, execution)
            let suffix = plan.executionsPerTrial > 1 ? "-execution-\(execution)" : ""
            let run = try tracker.start(id: Tracker.newID(), project: sweep.info.project, name: TrialRuns.name(sweep, trial, execution),
                                        config: TrialRuns.config(trial.config, trial, execution, modelSeed: seed), tags: [sweep.info.name],
                                        group: TrialRuns.group(sweep, trial), sweep: (sweep.info.id, trial.number))
            try run.flush()  // registered before the program starts
            let base = (logs as NSString).appendingPathComponent("trial-\(trial.number)\(suffix)")
            let arguments = try CommandMacros.expand(spec.command, program: spec.programPath, config: trial.config, jsonFile: base + ".json")
            var environment = ProcessInfo.processInfo.environment
            // The store as this process opened it (a directory, or a URL with its password).
            environment["TEMPER_STORE"] = sweep.store.address
            environment["TEMPER_DIR"] = sweep.store.engine.dialect == .sqlite ? sweep.store.address : nil
            environment["TEMPER_SWEEP_ID"] = sweep.info.id
            environment["TEMPER_RUN_ID"] = run.id
            environment["TEMPER_TRIAL"] = String(trial.number)
            environment["TEMPER_SEED"] = String(seed)
            let status: Int32
            let stop = try sweep.stopRule(for: trial)
            let stopped = StopFlag()
            do {
                status = try ChildProcess.run(arguments, environment: environment, log: base + ".log", control: control,
                                              stopEarly: { stopped.isSet }) { values, step in
                    guard !stopped.isSet else { return }
                    run.log(values, step: step)
                    if let stop, let value = values[plan.objective.name], stop.record(value) { stopped.set() }
                }
            } catch {
                try? run.fail("\(error)")
                throw error
            }
            if control.isStopRequested {
                try? run.fail("interrupted")
                throw TrialInterrupted()
            }
            if let reason = stop?.reason {
                // Stopped by the rule (the program was interrupted): scored by what it logged.
                try run.finish()
                let logged = try sweep.store.run(run.id).summary[plan.objective.name]
                scores.append(logged?.last ?? .nan)
                stopReasons.append(reason)
                continue
            }
            guard status == 0 else {
                let message = "\(arguments.joined(separator: " ")) exited with status \(status); the end of its output (\(base).log):\n" + ChildProcess.tail(base + ".log")
                try? run.fail(message)
                throw TuningError.trialFailed(message)
            }
            try run.finish()
            let logged = try sweep.store.run(run.id).summary
            guard let summary = logged[plan.objective.name] else {
                throw TuningError.trialFailed("the program did not log \(plan.objective.name) (it logged \(logged.isEmpty ? "nothing" : logged.keys.sorted().joined(separator: ", "))); print JSON lines such as {\"\(plan.objective.name)\": 0.9} or log through Tracker")
            }
            guard summary.last.isFinite else {
                throw TuningError.trialFailed("the last \(plan.objective.name) the program logged is \(summary.last.isNaN ? "NaN" : String(summary.last)) (the run diverged)")
            }
            scores.append(summary.last)
        }
        return TrialOutcome(score: scores.reduce(0, +) / Double(scores.count), stoppedEarly: !stopReasons.isEmpty, stopReason: stopReasons.first)
    }
}

/// A flag set from the reading thread and read by the waiting one.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

/// A trial's subprocess: started with its own process group (so Ctrl-C reaches it through the
/// sweep, which forwards it), standard output parsed for JSON lines and, with standard error,
/// written to a log.
enum ChildProcess {
    static func run(_ arguments: [String], environment: [String: String], log: String, control: TrialControl,
                    stopEarly: @escaping () -> Bool = { false },
                    report: @escaping (_ values: [String: Double], _ step: Int) -> Void) throws -> Int32 {
        guard let first = arguments.first, !first.isEmpty else { throw TuningError.trialFailed("the command is empty") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable(first, environment: environment))
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        guard FileManager.default.createFile(atPath: log, contents: nil), let logHandle = FileHandle(forWritingAtPath: log) else {
            throw TuningError.trialFailed("cannot write the trial's log \(log)")
        }
        defer { try? logHandle.close() }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw TuningError.trialFailed("cannot start \(arguments.joined(separator: " ")): \(error.localizedDescription)")
        }
        let reader = LineReader(handle: output.fileHandleForReading, log: logHandle, report: report)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            reader.readToEnd()
            done.signal()
        }
        thread.start()
        // Stopped: SIGINT first (a Python program raises KeyboardInterrupt), SIGTERM after 10 s,
        // SIGKILL after 20 s for a program that ignores both.
        var interruptedAt: Date?
        var escalation = [SIGINT, SIGTERM, SIGKILL][...]
        while process.isRunning {
            if control.isStopRequested || stopEarly() {
                let since = interruptedAt.map { Date().timeIntervalSince($0) } ?? .infinity
                if interruptedAt == nil || since > 10, let signal = escalation.popFirst() {
                    kill(process.processIdentifier, signal)
                    interruptedAt = Date()
                }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        done.wait()
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// `name` when it holds a slash, else its first match on the PATH.
    static func executable(_ name: String, environment: [String: String]) throws -> String {
        if name.contains("/") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory) else { throw TuningError.trialFailed("\(name) does not exist") }
            guard !isDirectory.boolValue else { throw TuningError.trialFailed("\(name) is a directory, not a program") }
            guard FileManager.default.isExecutableFile(atPath: name) else { throw TuningError.trialFailed("\(name) is not executable (chmod +x, or run it through an interpreter)") }
            return name
        }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TuningError.trialFailed("cannot find \(name) on the PATH (\(environment["PATH"] ?? "")); give its full path in the command")
    }

    /// The last lines of a log.
    static func tail(_ path: String, lines: Int = 12) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Reads a child's standard output line by line: each line is copied to the log; a line that is a
/// JSON object of numbers is reported as metrics.
final class LineReader: @unchecked Sendable {
    let handle: FileHandle
    let log: FileHandle
    let report: ([String: Double], Int) -> Void
    /// The log keeps at most this many bytes of a trial's output (the rest is still read for metrics).
    let longestLog: Int
    private var count = 0

    init(handle: FileHandle, log: FileHandle, longestLog: Int = 64 << 20, report: @escaping ([String: Double], Int) -> Void) {
        self.handle = handle
        self.log = log
        self.longestLog = longestLog
        self.report = report
    }

    /// A line longer than this is written to the log and not read as metrics.
    static let longestMetricsLine = 1 << 20
    private var logged = 0
    private var capped = false

    private func keep(_ data: Data) {
        guard !capped else { return }
        let room = longestLog - logged
        guard data.count > room else {
            logged += data.count
            try? log.write(contentsOf: data)
            return
        }
        capped = true
        try? log.write(contentsOf: data.prefix(room) + Data("\n[temper: the log stops here at \(longestLog) bytes; the output goes on]\n".utf8))
    }

    func readToEnd() {
        var buffer = Data()
        var scanned = 0
        var overlong = false
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            // Each byte is looked at once: the search goes on from where the last one stopped.
            while let newline = buffer[(buffer.startIndex + scanned)...].firstIndex(of: 10) {
                let text = buffer[buffer.startIndex..<newline]
                if overlong { keep(Data(text) + Data([10])) } else { line(text) }
                overlong = false
                buffer.removeSubrange(buffer.startIndex...newline)
                scanned = 0
            }
            scanned = buffer.count
            if buffer.count > Self.longestMetricsLine {
                keep(buffer)
                buffer.removeAll(keepingCapacity: true)
                scanned = 0
                overlong = true
            }
        }
        if !buffer.isEmpty { if overlong { keep(buffer) } else { line(buffer[...]) } }
    }

    private func line(_ bytes: Data.SubSequence) {
        keep(Data(bytes) + Data([10]))
        guard bytes.first == UInt8(ascii: "{"), let object = Self.jsonObject(bytes) else { return }
        var values: [String: Double] = [:]
        for (key, value) in object {
            if let number = value as? NSNumber, !LineReader.isBoolean(number) { values[key] = number.doubleValue }
            if let text = value as? String, ["NaN", "Infinity", "-Infinity"].contains(text) { values[key] = Double(text.replacingOccurrences(of: "Infinity", with: "inf")) }
        }
        count += 1
        let step = (values["step"] ?? values["epoch"]).flatMap { $0.isFinite && abs($0) < 1e15 ? Int($0) : nil } ?? count
        values["step"] = nil
        guard !values.isEmpty else { return }
        report(values, step)
    }
}

extension LineReader {
    /// A JSON object; Python's `json.dumps` writes non-finite numbers as the bare words NaN,
    /// Infinity and -Infinity, which are read as those numbers.
    static func jsonObject(_ bytes: Data.SubSequence) -> [String: Any]? {
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] { return object }
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = text.replacingOccurrences(of: #"(?<=[:\[,])(\s*)(-?Infinity|NaN)(?=\s*[,}\]])"#, with: "$1\"$2\"", options: .regularExpression)
        return try? JSONSerialization.jsonObject(with: Data(quoted.utf8)) as? [String: Any]
    }

    /// JSON's true and false come back as numbers of type char or bool; they are not metrics.
    static func isBoolean(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type == "c" || type == "B"
    }
}
