import Foundation

/// Samples the process's and the machine's resource use (Linux): `cpu_percent` (process CPU time
/// over wall time since the previous sample — or since the sampler was made — in percent of one
/// core), `rss_bytes`, `threads`, `system_memory_percent` (1 − MemAvailable / MemTotal) and
/// `load_1m`. Missing sources are skipped.
///
/// Cheap enough to sample at the end of every run: CPU time comes from `clock_gettime`, and the few
/// small `/proc` files are read with plain `read(2)` into one buffer.
final class SystemMetricsSampler {
    private var previousCPU: Double
    private var previousTime: Double
    private let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
    private var buffer = [UInt8](repeating: 0, count: 4096)

    init() {
        previousCPU = Self.processCPUSeconds()
        previousTime = Self.wallSeconds()
    }

    func sample() -> [String: Double] {
        var values: [String: Double] = [:]
        let now = Self.wallSeconds(), cpu = Self.processCPUSeconds()
        if now > previousTime { values["cpu_percent"] = (cpu - previousCPU) / (now - previousTime) * 100 }
        previousCPU = cpu
        previousTime = now
        if let statm = read("/proc/self/statm"), let pages = field(1, of: statm) {
            values["rss_bytes"] = pages * pageSize
        }
        if let status = read("/proc/self/status"), let threads = value(after: "Threads:", in: status) {
            values["threads"] = threads
        }
        if let meminfo = read("/proc/meminfo"),
           let total = value(after: "MemTotal:", in: meminfo), let available = value(after: "MemAvailable:", in: meminfo), total > 0 {
            values["system_memory_percent"] = (1 - available / total) * 100
        }
        if let load = read("/proc/loadavg"), let first = field(0, of: load) { values["load_1m"] = first }
        return values
    }

    /// The start of a file (up to 4 KiB: every field used is near the top) as text.
    private func read(_ path: String) -> Substring? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return Substring(decoding: buffer[..<count], as: UTF8.self)
    }

    /// The `index`th space-separated number.
    private func field(_ index: Int, of text: Substring) -> Double? {
        let fields = text.split(separator: " ", maxSplits: index + 1)
        return fields.count > index ? Double(fields[index].trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }

    /// The number after `key` on its line (`MemTotal:   16318412 kB` → 16318412).
    private func value(after key: String, in text: Substring) -> Double? {
        guard let range = text.range(of: key) else { return nil }
        let rest = text[range.upperBound...].drop { $0 == " " || $0 == "\t" }
        return Double(rest.prefix { $0.isNumber || $0 == "." })
    }

    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func wallSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
