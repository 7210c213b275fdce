/// How an input broadcast to an output shape is read, as a function of the output's flat
/// (row-major) index `i`. The patterns other than `general` cover almost every real case and need
/// no per-element index arithmetic.
enum BroadcastAccess: Equatable {
    /// The input has the output's element order: element `i`.
    case contiguous
    /// One element for all `i`.
    case scalar
    /// Broadcast along leading axes only (a bias row): element `i % period`.
    case inner(period: Int)
    /// Broadcast along trailing axes only (a per-row value): element `i / repeatCount`.
    case outer(repeatCount: Int)
    /// Anything else: the input stride of each output axis (0 where broadcast).
    case general(outputDims: [Int], strides: [Int])

    /// The pattern for reading `input` (NumPy-broadcastable to `output`, both concrete).
    static func analyze(input: [Int], output: [Int]) -> BroadcastAccess {
        let inputCount = input.reduce(1, *)
        let outputCount = output.reduce(1, *)
        if inputCount == outputCount { return .contiguous }
        if inputCount == 1 { return .scalar }
        let padded = [Int](repeating: 1, count: output.count - input.count) + input
        // Axes of extent 1 in the output do not matter; classify the others as kept or broadcast.
        let kept = output.indices.map { padded[$0] == output[$0] || output[$0] == 1 }
        let relevant = output.indices.filter { output[$0] != 1 }
        let keptRelevant = relevant.map { kept[$0] }
        if let firstKept = keptRelevant.firstIndex(of: true), !keptRelevant[firstKept...].contains(false) {
            let period = relevant[firstKept...].reduce(1) { $0 * output[$1] }
            return .inner(period: period)
        }
        if let firstBroadcast = keptRelevant.firstIndex(of: false), !keptRelevant[firstBroadcast...].contains(true) {
            let repeatCount = relevant[firstBroadcast...].reduce(1) { $0 * output[$1] }
            return .outer(repeatCount: repeatCount)
        }
        var strides = [Int](repeating: 0, count: output.count)
        var running = 1
        for axis in stride(from: output.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : running
            running *= padded[axis]
        }
        return .general(outputDims: output, strides: strides)
    }
}

/// A `BroadcastAccess` in trivially copyable form for the hot loop: the general pattern's extents
/// and strides live in buffers the kernel owns.
enum ResolvedAccess {
    case contiguous
    case scalar
    case inner(period: Int)
    case outer(repeatCount: Int)
    case general(dims: UnsafePointer<Int>, strides: UnsafePointer<Int>, rank: Int)
}

/// Copies the broadcast view of `source` for output indices `start ..< start + count` into
/// `destination` (for the non-contiguous patterns). `coordinates` is scratch space of the output rank.
@inline(__always)
func gatherBroadcast<T>(_ access: ResolvedAccess, source: UnsafePointer<T>, into destination: UnsafeMutablePointer<T>,
                        start: Int, count: Int, coordinates: UnsafeMutablePointer<Int>) {
    switch access {
    case .contiguous:
        destination.update(from: source + start, count: count)
    case .scalar:
        destination.update(repeating: source[0], count: count)
    case .inner(let period):
        var position = start % period
        var written = 0
        while written < count {
            let run = Swift.min(period - position, count - written)
            (destination + written).update(from: source + position, count: run)
            written += run
            position = 0
        }
    case .outer(let repeatCount):
        var row = start / repeatCount
        var offset = start % repeatCount
        var written = 0
        while written < count {
            let run = Swift.min(repeatCount - offset, count - written)
            (destination + written).update(repeating: source[row], count: run)
            written += run
            row += 1
            offset = 0
        }
    case .general(let dims, let strides, let rank):
        var remainder = start
        var sourceIndex = 0
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            coordinates[axis] = remainder % dims[axis]
            remainder /= dims[axis]
            sourceIndex += coordinates[axis] * strides[axis]
        }
        for i in 0..<count {
            destination[i] = source[sourceIndex]
            // Advance the multi-index by one, carrying into earlier axes.
            var axis = rank - 1
            while axis >= 0 {
                coordinates[axis] += 1
                sourceIndex += strides[axis]
                if coordinates[axis] < dims[axis] { break }
                sourceIndex -= strides[axis] * dims[axis]
                coordinates[axis] = 0
                axis -= 1
            }
        }
    }
}
