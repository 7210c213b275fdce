import Graph

/// Sum, mean and max over a set of axes. Adjacent axes are merged first, so most reductions become
/// `outer × reduced × inner` loops that vectorize along `inner` (or, when `inner` is 1, along the
/// reduced run); anything else takes a general strided path.
struct ReductionPlan: Equatable {
    enum Layout: Equatable {
        /// Input viewed as `[outer, reduced, inner]`, output as `[outer, inner]`.
        case blocked(outer: Int, reduced: Int, inner: Int)
        /// Input dims with, per axis, whether it is reduced; output strides (0 on reduced axes).
        case general(dims: [Int], outputStrides: [Int])
    }

    let layout: Layout
    let inputCount: Int
    let outputCount: Int

    init(inputShape: [Int], axes: Set<Int>) {
        inputCount = inputShape.reduce(1, *)
        outputCount = inputShape.indices.filter { !axes.contains($0) }.reduce(1) { $0 * inputShape[$1] }
        // Drop unit axes and merge neighbours that are both reduced or both kept.
        var merged: [(extent: Int, reduced: Bool)] = []
        for (axis, extent) in inputShape.enumerated() where extent != 1 {
            let reduced = axes.contains(axis)
            if let lastBlock = merged.last, lastBlock.reduced == reduced {
                merged[merged.count - 1].extent *= extent
            } else {
                merged.append((extent, reduced))
            }
        }
        let reducedBlocks = merged.filter(\.reduced).count
        if reducedBlocks <= 1 {
            var outer = 1, reduced = 1, inner = 1, seenReduced = false
            for block in merged {
                if block.reduced { reduced = block.extent; seenReduced = true }
                else if seenReduced { inner *= block.extent }
                else { outer *= block.extent }
            }
            layout = .blocked(outer: outer, reduced: reduced, inner: inner)
        } else {
            let dims = merged.map(\.extent)
            var strides = [Int](repeating: 0, count: dims.count)
            var running = 1
            for axis in stride(from: dims.count - 1, through: 0, by: -1) where !merged[axis].reduced {
                strides[axis] = running
                running *= dims[axis]
            }
            layout = .general(dims: dims, outputStrides: strides)
        }
    }

    /// Number of input elements folded into each output element.
    var reductionSize: Int { outputCount == 0 ? 0 : inputCount / outputCount }
}

enum Reduction {
    @inline(__always)
    /// Reduces `input` into `output` as planned; `coordinates` is scratch of the input rank.
    static func run<T: TensorScalar>(_ op: ReduceOp, plan: ReductionPlan, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
                                     coordinates: UnsafeMutablePointer<Int>) {
        switch plan.layout {
        case .blocked(let outer, let reduced, let inner):
            blocked(op, outer: outer, reduced: reduced, inner: inner, input: input, output: output)
        case .general(let dims, let strides):
            general(op, dims: dims, outputStrides: strides, outputCount: plan.outputCount, input: input, output: output,
                    coordinates: coordinates)
        }
        if op == .mean {
            let scale = 1 / T(plan.reductionSize)
            for i in 0..<plan.outputCount { output[i] *= scale }
        }
    }

    @inline(__always)
    private static func blocked<T: TensorScalar>(_ op: ReduceOp, outer: Int, reduced: Int, inner: Int,
                                                 input: UnsafePointer<T>, output: UnsafeMutablePointer<T>) {
        for o in 0..<outer {
            let source = input + o * reduced * inner
            let destination = output + o * inner
            if inner == 1 {
                switch op {
                case .sum, .mean:
                    var total: T = 0
                    for r in 0..<reduced { total += source[r] }
                    destination[0] = total
                case .max:
                    var best = -T.infinity
                    for r in 0..<reduced where source[r] > best || source[r] != source[r] { best = source[r] }
                    destination[0] = best
                }
                continue
            }
            switch op {
            case .sum, .mean:
                forEachRowChunk(rows: reduced, columns: inner) { chunk, continuing in
                    ColumnSumBlock(source: source, rows: chunk, stride: inner, destination: destination, continuing: continuing).forEachBlock(of: inner)
                }
            case .max:
                destination.update(from: source, count: inner)
                for r in 1..<Swift.max(reduced, 1) {
                    let row = source + r * inner
                    for i in 0..<inner where row[i] > destination[i] || row[i] != row[i] { destination[i] = row[i] }
                }
            }
        }
    }

    private static func general<T: TensorScalar>(_ op: ReduceOp, dims: [Int], outputStrides: [Int], outputCount: Int,
                                                 input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
                                                 coordinates: UnsafeMutablePointer<Int>) {
        output.update(repeating: op == .max ? -T.infinity : 0, count: outputCount)
        coordinates.update(repeating: 0, count: dims.count)
        var outputIndex = 0
        let total = dims.reduce(1, *)
        for i in 0..<total {
            let value = input[i]
            switch op {
            case .sum, .mean: output[outputIndex] += value
            case .max: if value > output[outputIndex] || value != value { output[outputIndex] = value }
            }
            var axis = dims.count - 1
            while axis >= 0 {
                coordinates[axis] += 1
                outputIndex += outputStrides[axis]
                if coordinates[axis] < dims[axis] { break }
                outputIndex -= outputStrides[axis] * dims[axis]
                coordinates[axis] = 0
                axis -= 1
            }
        }
    }
}

/// `destination[j] = Σᵣ source[r·stride + j]` down a block of columns, rows in order (the first
/// row is the starting value, as in the plain loop; a later chunk of rows adds to the sums so far).
private struct ColumnSumBlock<Scalar: TensorScalar>: ColumnBlock {
    let source: UnsafePointer<Scalar>, rows: Range<Int>, stride: Int, destination: UnsafeMutablePointer<Scalar>, continuing: Bool
    var readsItsOutput: Bool { continuing }

    @inline(__always) func callAsFunction<L: Lanes>(_ lanes: L.Type, at j: Int) where L.Scalar == Scalar {
        guard let first = rows.first else {
            if !continuing { L(repeating: 0).store(to: destination + j) }   // no rows: the sum is 0
            return
        }
        var sum = continuing ? L.load(destination + j) + L.load(source + first * stride + j) : L.load(source + first * stride + j)
        for r in rows.dropFirst() { sum = sum + L.load(source + r * stride + j) }
        sum.store(to: destination + j)
    }
}
