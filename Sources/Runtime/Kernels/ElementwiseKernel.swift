import Graph

/// Runs an `ElementwiseProgram` over a concrete output in tiles of `tileSize` elements. Each
/// instruction runs as one vectorizable loop over the tile into an L1-resident register, so a fused
/// chain touches main memory only for its inputs and its output: no intermediate tensors.
/// Contiguous inputs are read in place (no copy); broadcast inputs are gathered per tile; scalar
/// inputs and constants stay scalars. A single-op program is the unfused kernel of that op.
final class ElementwiseKernel<T: TensorScalar> {
    static var tileSize: Int { 512 }

    private enum Step {
        case input(Int)
        case constant
        case unary(UnaryOp, Int)
        case binary(BinaryOp, Int, Int)
    }

    private let steps: UnsafeMutableBufferPointer<Step>
    private let isScalar: UnsafeMutableBufferPointer<Bool>
    /// The current tile's pointer for each register.
    private let registers: UnsafeMutableBufferPointer<UnsafePointer<T>>
    /// `tileSize` elements per register (used by gathered inputs and computed vector registers).
    private let scratch: UnsafeMutablePointer<T>
    /// One element per register (constants and scalar results).
    private let scalars: UnsafeMutablePointer<T>
    private let inputs: UnsafeMutableBufferPointer<UnsafePointer<T>>
    private let access: UnsafeMutableBufferPointer<ResolvedAccess>
    /// Extents and strides of inputs read with the general pattern.
    private let generalBuffers: [UnsafeMutablePointer<Int>]
    private let coordinates: UnsafeMutablePointer<Int>
    private let output: UnsafeMutablePointer<T>
    private let count: Int

    /// - Parameters:
    ///   - program: the instructions; the last one is the result.
    ///   - inputs: one pointer per program input.
    ///   - inputShapes: their concrete shapes, each broadcastable to `outputShape`.
    ///   - output: where the `outputShape.reduce(1, *)` results go; it may alias a contiguous input.
    init(program: ElementwiseProgram, inputs: [UnsafePointer<T>], inputShapes: [[Int]], output: UnsafeMutablePointer<T>, outputShape: [Int]) {
        let n = program.instructions.count
        self.count = outputShape.reduce(1, *)
        self.output = output
        self.steps = .allocate(capacity: n)
        self.isScalar = .allocate(capacity: n)
        self.registers = .allocate(capacity: n)
        self.scratch = .allocate(capacity: n * Self.tileSize)
        self.scratch.initialize(repeating: 0, count: n * Self.tileSize)
        self.scalars = .allocate(capacity: n)
        self.scalars.initialize(repeating: 0, count: n)
        self.inputs = .allocate(capacity: inputs.count)
        _ = self.inputs.initialize(from: inputs)
        let patterns = inputShapes.map { BroadcastAccess.analyze(input: $0, output: outputShape) }
        self.access = .allocate(capacity: Swift.max(patterns.count, 1))
        var buffers: [UnsafeMutablePointer<Int>] = []
        for (k, pattern) in patterns.enumerated() {
            switch pattern {
            case .contiguous: access[k] = .contiguous
            case .scalar: access[k] = .scalar
            case .inner(let period): access[k] = .inner(period: period)
            case .outer(let repeatCount): access[k] = .outer(repeatCount: repeatCount)
            case .general(let dims, let strides):
                let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 2 * dims.count)
                for (i, d) in dims.enumerated() { buffer[i] = d }
                for (i, s) in strides.enumerated() { buffer[dims.count + i] = s }
                buffers.append(buffer)
                access[k] = .general(dims: UnsafePointer(buffer), strides: UnsafePointer(buffer + dims.count), rank: dims.count)
            }
        }
        self.generalBuffers = buffers
        self.coordinates = .allocate(capacity: Swift.max(outputShape.count, 1))
        self.coordinates.initialize(repeating: 0, count: Swift.max(outputShape.count, 1))
        for (r, instruction) in program.instructions.enumerated() {
            switch instruction {
            case .input(let k):
                steps[r] = .input(k)
                if case .scalar = access[k] { isScalar[r] = true } else { isScalar[r] = false }
            case .constant(let value):
                steps[r] = .constant
                isScalar[r] = true
                scalars[r] = T(value)
            case .unary(let op, let a):
                steps[r] = .unary(op, a)
                // Random ops depend on the element index, so their result is never a scalar.
                isScalar[r] = isScalar[a] && !op.isRandom
            case .binary(let op, let a, let b):
                steps[r] = .binary(op, a, b)
                isScalar[r] = isScalar[a] && isScalar[b]
            }
            registers[r] = UnsafePointer(scalars + r)
        }
    }

    deinit {
        steps.deallocate()
        isScalar.deallocate()
        registers.deallocate()
        scratch.deallocate()
        scalars.deallocate()
        inputs.deallocate()
        coordinates.deallocate()
        access.deallocate()
        for buffer in generalBuffers { buffer.deallocate() }
    }

    /// Evaluates the program for every output element; `step` seeds dropout and noise.
    func run(step: UInt64) {
        let tile = Self.tileSize
        let last = steps.count - 1
        var start = 0
        while start < count {
            let length = Swift.min(tile, count - start)
            for r in 0...last {
                let scalar = isScalar[r]
                let destination: UnsafeMutablePointer<T>
                if r == last && !scalar {
                    destination = output + start
                } else if scalar {
                    destination = scalars + r
                } else {
                    destination = scratch + r * tile
                }
                switch steps[r] {
                case .input(let k):
                    switch access[k] {
                    case .contiguous:
                        if r == last {
                            if UnsafePointer(destination) != inputs[k] + start { destination.update(from: inputs[k] + start, count: length) }
                        } else {
                            registers[r] = inputs[k] + start
                        }
                        continue
                    case .scalar:
                        registers[r] = inputs[k]
                        continue
                    default:
                        gatherBroadcast(access[k], source: inputs[k], into: destination, start: start, count: length, coordinates: coordinates)
                    }
                case .constant:
                    break
                case .unary(let op, let a):
                    var source = registers[a]
                    if isScalar[a] && !scalar {
                        // A random op of a scalar: spread the scalar over the tile first.
                        let spread = scratch + r * tile
                        spread.update(repeating: source[0], count: length)
                        source = UnsafePointer(spread)
                    }
                    ElementwiseFunctions.apply(op, source, destination, count: scalar ? 1 : length, indexBase: start, step: step)
                case .binary(let op, let a, let b):
                    ElementwiseFunctions.apply(op, registers[a], aIsScalar: isScalar[a], registers[b], bIsScalar: isScalar[b],
                                               destination, count: scalar ? 1 : length)
                }
                registers[r] = UnsafePointer(destination)
            }
            if isScalar[last] {
                (output + start).update(repeating: registers[last][0], count: length)
            }
            start += length
        }
    }
}
