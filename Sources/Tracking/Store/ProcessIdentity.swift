import Foundation

/// Which process on which boot of which machine writes a run, recorded with it so that a reader on
/// the same machine sees at once that the process is gone (its run is then `crashed`), instead of
/// waiting for the heartbeat to go stale. Readers on other machines, or after a reboot, keep the
/// heartbeat rule.
struct ProcessIdentity: Sendable, Equatable {
    /// The process id.
    var pid: Int32
    /// `/proc/sys/kernel/random/boot_id` (a new value at every boot of the kernel) and the
    /// process's pid namespace (`/proc/self/ns/pid`): process ids compare only within one.
    var bootID: String
    /// When the process started, in clock ticks after boot (field 22 of `/proc/<pid>/stat`), so a
    /// reused process id is not taken for the run's process.
    var startTicks: Int64

    /// This process, or nil where `/proc` does not tell.
    static let current: ProcessIdentity? = {
        let pid = getpid()
        guard let boot = bootID, let start = startTicks(of: pid) else { return nil }
        return ProcessIdentity(pid: pid, bootID: boot, startTicks: start)
    }()

    /// This boot's id, or nil without `/proc`.
    static let bootID: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
              let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id + ":" + namespace
    }()

    /// The start time of process `pid`, or nil when there is no such process, it has exited
    /// (a zombie its parent has not reaped), or there is no `/proc`.
    static func startTicks(of pid: Int32) -> Int64? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" come the fields from the third (state) on; starttime is the 22nd.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return Int64(fields[19])
    }

    /// Whether the process that wrote a run on `host` is alive: true or false when this reader runs
    /// on the same machine and boot, nil when it cannot tell (another machine or boot, no `/proc`,
    /// a run recorded without its process).
    static func isAlive(pid: Int32?, bootID: String?, startTicks: Int64?, host: String) -> Bool? {
        guard let pid, let bootID, let startTicks, host == Tracker.host, bootID == Self.bootID else { return nil }
        return Self.startTicks(of: pid) == startTicks
    }
}
