import Foundation

/// Wall-clock timing helpers for benchmarks (figures printed, never asserted in tests).
public enum Stopwatch {
    /// Seconds since an arbitrary origin, monotonic.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The median over `repetitions` of the mean seconds per call of `body` over `iterations` calls.
    public static func medianSecondsPerCall(repetitions: Int, iterations: Int, _ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = now()
            for _ in 0..<iterations { try body() }
            samples.append((now() - start) / Double(iterations))
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
