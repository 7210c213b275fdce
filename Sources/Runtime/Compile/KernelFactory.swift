import CKernels
import Graph

/// Makes the kernel of one node: the runtime's exhaustive switch over `Op`, which hands each op to
/// its family's factory (KernelFactory+Gemm, +BatchNorm, +Loss, +Layout). Everything a kernel
/// needs (pointers, extents, plans, scratch) is resolved here, once per program, so the kernel
/// body only computes.
struct KernelFactory<T: TensorScalar> {
    struct Made {
        let summary: String
        let body: () throws -> Void
        var release: (() -> Void)? = nil
    }

    /// The resolved buffers and concrete shapes of one node.
    struct Operands {
        let name: String
        let inputs: [UnsafeMutablePointer<T>]
        let inputShapes: [[Int]]
        let output: UnsafeMutablePointer<T>
        let outputShapes: [[Int]]
        var outputShape: [Int] { outputShapes[0] }
        func input(_ k: Int) -> UnsafePointer<T> { UnsafePointer(inputs[k]) }
    }

    let state: RunState
    /// Allocates zeroed scratch owned by the program.
    let allocate: (Int) -> UnsafeMutablePointer<T>

    var scalarName: String { T.dtype == .float32 ? "s" : "d" }

    func kernel(for node: Node, inputs: [UnsafeMutablePointer<T>], inputShapes: [[Int]],
                output: UnsafeMutablePointer<T>, outputShapes: [[Int]]) throws -> Made {
        let operands = Operands(name: node.name, inputs: inputs, inputShapes: inputShapes, output: output, outputShapes: outputShapes)
        switch node.op {
        case .placeholder, .variable, .constant, .reshape, .stopGradient, .output, .assign, .applyUpdates:
            // Sources, aliases and effects have no kernel here; the lowering makes the effects' own.
            return Made(summary: "none", body: {})
        case .matmul(let ta, let tb):
            return matmul(transposeA: ta, transposeB: tb, operands)
        case .gemmAccumulate(let accumulate):
            return gemmAccumulate(accumulate, operands)
        case .gemmEpilogue(let epilogue):
            return gemmEpilogue(epilogue, operands)
        case .unary, .binary, .fusedElementwise, .broadcast:
            return elementwise(node.op.elementwiseProgram ?? ElementwiseProgram(instructions: [.input(0)], inputCount: 1), operands)
        case .softmax(let axis):
            return softmax(log: false, axis: axis, operands)
        case .logSoftmax(let axis):
            return softmax(log: true, axis: axis, operands)
        case .reduce(let op, let axes, _):
            return reduce(op, axes: axes, operands)
        case .transpose(let permutation):
            return transpose(permutation, operands)
        case .batchNormTraining(let config):
            return batchNormTraining(config, operands)
        case .batchNormTrainingFused(let config, let relu):
            return batchNormTrainingFused(config, relu: relu, operands)
        case .batchNormInference(let config):
            return batchNormInference(config, operands)
        case .batchNormTrainingGradient(let config):
            return batchNormGradient(config, masks: BatchNormGradientMasks(), kind: node.op.kind, operands)
        case .batchNormTrainingGradientFused(let config, let masks):
            return batchNormGradient(config, masks: masks, kind: node.op.kind, operands)
        case .loss(let kind):
            return loss(kind, operands)
        case .lossGradient(let kind):
            return lossGradient(kind, operands)
        }
    }

    /// The elementwise kernel of `trials` copies at once, as one tensor with a leading trial axis,
    /// when every operand's copies lie side by side (`trialStride` equal to its element count) or
    /// are shared (`trialStride` 0); `nil` otherwise (the caller then loops over the trials).
    func elementwiseOverTrials(_ program: ElementwiseProgram, name: String, trials: Int,
                               inputs: [(pointer: UnsafeMutablePointer<T>, trialStride: Int)], inputShapes: [[Int]],
                               output: (pointer: UnsafeMutablePointer<T>, trialStride: Int), outputShape: [Int]) -> Made? {
        let outputCount = outputShape.reduce(1, *)
        guard output.trialStride == outputCount else { return nil }
        var shapes: [[Int]] = []
        for (input, shape) in zip(inputs, inputShapes) {
            let count = shape.reduce(1, *)
            guard input.trialStride == 0 || input.trialStride == count else { return nil }
            let padded = [Int](repeating: 1, count: outputShape.count - shape.count) + shape
            let trialShape = [input.trialStride == 0 ? 1 : trials] + padded
            // Only patterns read without per-element index arithmetic (a per-trial bias row would
            // need the general gather, slower than looping over the trials).
            if case .general = BroadcastAccess.analyze(input: trialShape, output: [trials] + outputShape) { return nil }
            shapes.append(trialShape)
        }
        let operands = Operands(name: name, inputs: inputs.map(\.pointer), inputShapes: shapes, output: output.pointer,
                                outputShapes: [[trials] + outputShape])
        let made = elementwise(program, operands)
        return Made(summary: "\(made.summary) (\(trials) trials)", body: made.body, release: made.release)
    }

    private func elementwise(_ program: ElementwiseProgram, _ o: Operands) -> Made {
        if T.self == Float.self, let (gradient, output) = program.reluBackwardInputs,
           o.inputShapes[gradient] == o.outputShape, o.inputShapes[output] == o.outputShape {
            // The ReLU's backward, the most common fused program: in C built for AVX2 too (CKernels).
            let g = o.input(gradient), y = o.input(output), out = o.output, count = o.outputShape.reduce(1, *)
            return Made(summary: "elementwise(greater, mul: relu backward) \(count)", body: {
                temper_relu_backward_f32(count, g.float, y.float, out.float)
            })
        }
        let kernel = ElementwiseKernel<T>(program: program, inputs: o.inputs.map { UnsafePointer($0) }, inputShapes: o.inputShapes,
                                          output: o.output, outputShape: o.outputShape)
        let state = self.state
        let names = program.opNames.isEmpty ? "copy" : program.opNames.joined(separator: ", ")
        return Made(summary: "elementwise(\(names)) \(o.outputShape.reduce(1, *))", body: { kernel.run(step: state.step) })
    }
}
