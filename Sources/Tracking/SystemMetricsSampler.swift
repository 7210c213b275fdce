import Foundation

/// Samples the process's and the machine's resource use from `/proc` (Linux): `cpu_percent` (of
/// one core, since the previous sample), `rss_bytes`, `threads`, `system_memory_percent` and
/// `load_1m`. Missing sources are skipped.
final class SystemMetricsSampler {
    private var previousCPU: Double?
    private var previousTime: Double?
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    func sample() -> [String: Double] {
        var values: [String: Double] = [:]
        let now = Date().timeIntervalSince1970
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                let cpu = (user + system) / ticksPerSecond
                if let previousCPU, let previousTime, now > previousTime {
                    values["cpu_percent"] = (cpu - previousCPU) / (now - previousTime) * 100
                }
                previousCPU = cpu
                previousTime = now
            }
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Double(fields[1]) { values["rss_bytes"] = pages * pageSize }
        }
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }),
           let count = Double(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") {
            values["threads"] = count
        }
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            func kilobytes(_ key: String) -> Double? {
                meminfo.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                    .flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") }
            }
            if let total = kilobytes("MemTotal"), let available = kilobytes("MemAvailable"), total > 0 {
                values["system_memory_percent"] = (1 - available / total) * 100
            }
        }
        if let load = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8), let first = load.split(separator: " ").first {
            values["load_1m"] = Double(first)
        }
        return values
    }
}
