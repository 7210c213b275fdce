import Foundation

/// How many claimed trials a sweep worker trains at once as the trials of ONE compiled program
/// (vectorized trials, `Sequential.fitTogether`). Each trial's result is bit for bit the one it
/// has trained alone, so the grouping never changes a sweep's results, only its speed; trials whose
/// models compile differently (another width, optimizer constant or dropout seed) still train
/// apart, each group holding the trials that compile alike.
public enum TrialGrouping: Sendable, Equatable, CustomStringConvertible {
    /// Every trial trains alone (the default).
    case apart
    /// Up to `k` trials claimed together train as one program.
    case upTo(Int)
    /// The runner chooses the group size by measurement (`GroupSizeChooser`): seconds per trial
    /// at 1, 2, 4 … trials per group, keeping the size after which doubling stopped paying.
    case automatic

    /// The largest group a worker forms.
    public static let maximum = 64

    /// Parses `--vectorize`: a count from 1 to `maximum`, or `auto`.
    public init(parsing text: String) throws {
        if text == "auto" {
            self = .automatic
            return
        }
        guard let k = Int(text), (1...Self.maximum).contains(k) else {
            throw TuningError.invalidSearch("--vectorize takes a number of trials from 1 to \(Self.maximum), or auto, not \"\(text)\"")
        }
        self = k == 1 ? .apart : .upTo(k)
    }

    public var description: String {
        switch self {
        case .apart: return "1"
        case .upTo(let k): return String(k)
        case .automatic: return "auto"
        }
    }
}

/// Chooses how many trials to train together from how long groups took: it measures seconds per
/// trial at a group size (over `samplesPerSize` groups, after a first group that pays for
/// compiling), doubles the size while that saves at least `minimumGain`, and keeps the best size
/// it measured once doubling stops paying (or at `maximum`).
public struct GroupSizeChooser: Sendable {
    public let maximum: Int
    /// Groups measured at each size.
    public let samplesPerSize: Int
    /// The fraction of a trial's time a doubling must save to be kept.
    public let minimumGain: Double
    /// The size of the next group.
    public private(set) var size = 1
    /// True once the size is chosen for good.
    public private(set) var isSettled = false
    private var warmedUp = false
    private var samples: [Double] = []
    private var best: (size: Int, secondsPerTrial: Double)?
    private var shortGroups = 0
    /// Groups in a row smaller than the size asked for, after which the size settles.
    public static let shortGroupsToSettle = 3

    public init(maximum: Int = 16, samplesPerSize: Int = 2, minimumGain: Double = 0.1) {
        self.maximum = Swift.max(1, maximum)
        self.samplesPerSize = Swift.max(1, samplesPerSize)
        self.minimumGain = minimumGain
        isSettled = self.maximum == 1
    }

    /// Records a group of `trials` trials that took `seconds`. Groups smaller than the size asked
    /// for (the sweep's last trials, or fewer claimable at once) say nothing about the size; after
    /// `shortGroupsToSettle` of them in a row the size settles at the best one measured.
    public mutating func record(trials: Int, seconds: Double) {
        guard !isSettled else { return }
        if trials < size {
            shortGroups += 1
            if shortGroups >= Self.shortGroupsToSettle {
                size = best?.size ?? 1
                isSettled = true
            }
            return
        }
        shortGroups = 0
        guard trials == size, seconds.isFinite, seconds >= 0 else { return }
        guard warmedUp else {
            warmedUp = true
            return
        }
        samples.append(seconds / Double(trials))
        guard samples.count >= samplesPerSize else { return }
        let perTrial = samples.min() ?? 0  // the least disturbed by other work on the machine
        samples = []
        if let best, perTrial > best.secondsPerTrial * (1 - minimumGain) {
            size = best.size
            isSettled = true
            return
        }
        best = (size, perTrial)
        if size >= maximum {
            isSettled = true
        } else {
            size = Swift.min(maximum, size * 2)
        }
    }
}
