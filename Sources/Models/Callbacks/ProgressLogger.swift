import Foundation

/// Keras 3's progress output of `fit`, added by `verbose`: with 1, a bar per epoch that updates
/// in place on a terminal (`16/16 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.8750 - loss: 0.3171`);
/// with 2, one line per epoch. Logs print in alphabetical order, as Keras 3 does; `Epoch e/E`
/// heads each epoch when there is more than one.
final class ProgressLogger: Callback {
    var readsModelAtBatchEnd: Bool { false }
    let verbose: Int
    private var epochStart = 0.0
    private var lastDraw = 0.0
    private let interactive = isatty(STDOUT_FILENO) != 0
    private let barWidth = 20

    init(verbose: Int) { self.verbose = verbose }

    private func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    func onEpochBegin(_ epoch: Int, _ training: Training) throws {
        epochStart = now()
        lastDraw = 0
        if training.epochs > 1 && verbose == 1 { write("Epoch \(epoch + 1)/\(training.epochs)\n") }
    }

    func onBatchEnd(_ batch: Int, logs: Logs, _ training: Training) throws {
        guard verbose == 1, interactive, batch + 1 < training.stepsPerEpoch else { return }
        let t = now()
        guard t - lastDraw > 0.05 else { return }
        lastDraw = t
        let eta = (t - epochStart) / Double(batch + 1) * Double(training.stepsPerEpoch - batch - 1)
        write("\r" + line(done: batch + 1, of: training.stepsPerEpoch, time: "\(Int(eta.rounded()))s", logs: logs) + "\u{1B}[K")
    }

    func onEpochEnd(_ epoch: Int, logs: Logs, _ training: Training) throws {
        let elapsed = now() - epochStart
        let steps = training.stepsPerEpoch
        let perStep = formatStepTime(elapsed / Double(Swift.max(steps, 1)))
        let shown = sortedLogs(logs)
        if verbose == 1 {
            write((interactive ? "\r" : "") + line(done: steps, of: steps, time: "\(Int(elapsed.rounded()))s \(perStep)", logs: shown) + (interactive ? "\u{1B}[K" : "") + "\n")
        } else {
            write("\(steps)/\(steps) - \(Int(elapsed.rounded()))s - \(perStep) - \(shown.formatted())\n")
        }
    }

    private func sortedLogs(_ logs: Logs) -> Logs {
        var sorted = Logs()
        for key in logs.keys.sorted() { sorted[key] = logs[key] }
        return sorted
    }

    private func line(done: Int, of total: Int, time: String, logs: Logs) -> String {
        let filled = total == 0 ? barWidth : done * barWidth / total
        let bar = String(repeating: "━", count: filled) + String(repeating: "─", count: barWidth - filled)
        let width = String(total).count
        let count = String(repeating: " ", count: width - String(done).count) + "\(done)/\(total)"
        let values = sortedLogs(logs).formatted()
        return "\(count) \(bar) \(time)" + (values.isEmpty ? "" : " - \(values)")
    }

    private func formatStepTime(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.0fs/step", seconds) }
        if seconds >= 1e-3 { return String(format: "%.0fms/step", seconds * 1e3) }
        return String(format: "%.0fus/step", seconds * 1e6)
    }

    /// Writes through the C `stdout` stream that `print` uses (and flushes it), so that the
    /// progress and what the program prints come out in the order they were written, to a
    /// terminal, a pipe or a file alike.
    private func write(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }
}
