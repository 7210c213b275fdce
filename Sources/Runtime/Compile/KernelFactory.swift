import Graph

/// Makes the kernel of one node: the runtime's exhaustive switch over `Op`. Everything a kernel
/// needs (pointers, extents, plans, scratch) is resolved here, once per program, so the kernel
/// body only computes.
struct KernelFactory<T: TensorScalar> {
    struct Made {
        let summary: String
        let body: () throws -> Void
        var release: (() -> Void)? = nil
    }

    let state: RunState
    /// Allocates zeroed scratch owned by the program.
    let allocate: (Int) -> UnsafeMutablePointer<T>

    private var scalarName: String { T.dtype == .float32 ? "s" : "d" }

    func kernel(for node: Node, inputs: [UnsafeMutablePointer<T>], inputShapes: [[Int]],
                output: UnsafeMutablePointer<T>, outputShapes: [[Int]]) throws -> Made {
        let outputShape = outputShapes[0]
        let state = self.state
        switch node.op {
        case .placeholder, .variable, .constant, .reshape, .stopGradient, .output, .assign:
            // Sources and aliases have no kernel; the lowering never asks for one.
            return Made(summary: "none", body: {})

        case .matmul(let ta, let tb):
            let (m, k) = ta ? (inputShapes[0][1], inputShapes[0][0]) : (inputShapes[0][0], inputShapes[0][1])
            let n = outputShape[1]
            let a = UnsafePointer(inputs[0]), b = UnsafePointer(inputs[1])
            return Made(summary: "\(scalarName)gemm \(m)x\(n)x\(k)\(transposeNote(ta, tb))", body: {
                Gemm.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a, b: b, c: output, beta: 0)
            })

        case .unary(let op):
            let program = ElementwiseProgram(instructions: [.input(0), .unary(op, 0)], inputCount: 1)
            return elementwise(program, inputs: inputs, inputShapes: inputShapes, output: output, outputShape: outputShape)

        case .binary(let op):
            let program = ElementwiseProgram(instructions: [.input(0), .input(1), .binary(op, 0, 1)], inputCount: 2)
            return elementwise(program, inputs: inputs, inputShapes: inputShapes, output: output, outputShape: outputShape)

        case .fusedElementwise(let program):
            return elementwise(program, inputs: inputs, inputShapes: inputShapes, output: output, outputShape: outputShape)

        case .broadcast:
            let program = ElementwiseProgram(instructions: [.input(0)], inputCount: 1)
            return elementwise(program, inputs: inputs, inputShapes: inputShapes, output: output, outputShape: outputShape)

        case .softmax(let axis), .logSoftmax(let axis):
            let isLog: Bool
            if case .logSoftmax = node.op { isLog = true } else { isLog = false }
            let a = axis < 0 ? axis + outputShape.count : axis
            let outer = outputShape[..<a].reduce(1, *), length = outputShape[a], inner = outputShape[(a + 1)...].reduce(1, *)
            let x = UnsafePointer(inputs[0])
            return Made(summary: "\(isLog ? "log_" : "")softmax \(outer)x\(length)x\(inner)", body: {
                Softmax.run(log: isLog, outer: outer, length: length, inner: inner, input: x, output: output)
            })

        case .reduce(let op, let axes, _):
            let rank = inputShapes[0].count
            let plan = ReductionPlan(inputShape: inputShapes[0], axes: Set(axes.map { $0 < 0 ? $0 + rank : $0 }))
            let coordinates = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(rank, 1))
            let x = UnsafePointer(inputs[0])
            return Made(summary: "reduce_\(op.rawValue) \(inputShapes[0]) -> \(outputShape)", body: {
                Reduction.run(op, plan: plan, input: x, output: output, coordinates: coordinates)
            }, release: { coordinates.deallocate() })

        case .transpose(let permutation):
            let plan = TransposePlan(inputShape: inputShapes[0], permutation: permutation)
            let coordinates = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(permutation.count, 1))
            let x = UnsafePointer(inputs[0])
            return Made(summary: "transpose \(inputShapes[0]) by \(permutation)", body: {
                Transpose.run(plan, input: x, output: output, coordinates: coordinates)
            }, release: { coordinates.deallocate() })

        case .batchNormTraining(let config):
            let (rows, features) = rowsAndFeatures(inputShapes[0])
            let x = UnsafePointer(inputs[0])
            let gamma = config.scale ? UnsafePointer(inputs[1]) : nil
            let beta = config.center ? UnsafePointer(inputs[config.scale ? 2 : 1]) : nil
            let mean = output + rows * features, variance = mean + features
            let reciprocal = allocate(features)
            let epsilon = T(config.epsilon)
            return Made(summary: "batch_norm_training \(rows)x\(features)", body: {
                BatchNormKernels.trainingForward(x: x, rows: rows, features: features, epsilon: epsilon, gamma: gamma, beta: beta,
                                                 y: output, mean: mean, variance: variance, reciprocal: reciprocal)
            })

        case .batchNormTrainingFused(let config, let relu):
            let (rows, features) = rowsAndFeatures(inputShapes[0])
            let x = UnsafePointer(inputs[0])
            let gamma = config.scale ? UnsafePointer(inputs[1]) : nil
            let beta = config.center ? UnsafePointer(inputs[config.scale ? 2 : 1]) : nil
            let mean = output + rows * features, variance = mean + features
            let scale = allocate(features), shift = allocate(features)
            let epsilon = T(config.epsilon)
            return Made(summary: "fused_batch_norm\(relu ? "+relu" : "") \(rows)x\(features)", body: {
                BatchNormKernels.trainingForwardFused(x: x, rows: rows, features: features, epsilon: epsilon, gamma: gamma, beta: beta,
                                                      relu: relu, y: output, mean: mean, variance: variance, scale: scale, shift: shift)
            })

        case .batchNormInference(let config):
            let (rows, features) = rowsAndFeatures(inputShapes[0])
            let x = UnsafePointer(inputs[0]), mean = UnsafePointer(inputs[1]), variance = UnsafePointer(inputs[2])
            let gamma = config.scale ? UnsafePointer(inputs[3]) : nil
            let beta = config.center ? UnsafePointer(inputs[config.scale ? 4 : 3]) : nil
            let scale = allocate(features), shift = allocate(features)
            let epsilon = T(config.epsilon)
            return Made(summary: "batch_norm_inference \(rows)x\(features)", body: {
                BatchNormKernels.inference(x: x, rows: rows, features: features, epsilon: epsilon, mean: mean, variance: variance,
                                           gamma: gamma, beta: beta, y: output, scale: scale, shift: shift)
            })

        case .batchNormTrainingGradient(let config), .batchNormTrainingGradientFused(let config, _):
            var reluMask = false
            if case .batchNormTrainingGradientFused(_, let mask) = node.op { reluMask = mask }
            let (rows, features) = rowsAndFeatures(inputShapes[1])
            let dy = UnsafePointer(inputs[0]), x = UnsafePointer(inputs[1])
            let mean = UnsafePointer(inputs[2]), variance = UnsafePointer(inputs[3])
            let gamma = config.scale ? UnsafePointer(inputs[4]) : nil
            let reluOutput = reluMask ? UnsafePointer(inputs[inputs.count - 1]) : nil
            let dgamma = output + rows * features, dbeta = dgamma + features
            let scratch = allocate(5 * features)
            let epsilon = T(config.epsilon)
            return Made(summary: "\(node.op.kind.rawValue) \(rows)x\(features)", body: {
                BatchNormKernels.trainingBackward(dy: dy, x: x, rows: rows, features: features, epsilon: epsilon, mean: mean,
                                                  variance: variance, gamma: gamma, reluOutput: reluOutput,
                                                  dx: output, dgamma: dgamma, dbeta: dbeta, scratch: scratch)
            })

        case .loss(let kind):
            let rows = inputShapes[1][0], k = inputShapes[1][1]
            let labels = UnsafePointer(inputs[0]), predictions = UnsafePointer(inputs[1])
            let name = node.name
            return Made(summary: "\(kind.kerasName) \(rows)x\(k)", body: {
                do {
                    try LossKernels.forward(kind, labels: labels, predictions: predictions, rows: rows, k: k, loss: output)
                } catch let e as LossKernels.InvalidLabel {
                    throw invalidLabelError(e, kind: kind, node: name)
                }
            })

        case .lossGradient(let kind):
            let rows = inputShapes[2][0], k = inputShapes[2][1]
            let cotangent = UnsafePointer(inputs[0]), labels = UnsafePointer(inputs[1]), predictions = UnsafePointer(inputs[2])
            let name = node.name
            return Made(summary: "\(kind.kerasName)_grad \(rows)x\(k)", body: {
                do {
                    try LossKernels.backward(kind, cotangent: cotangent, labels: labels, predictions: predictions, rows: rows, k: k, gradient: output)
                } catch let e as LossKernels.InvalidLabel {
                    throw invalidLabelError(e, kind: kind, node: name)
                }
            })

        case .gemmAccumulate(let accumulate):
            let ta = accumulate.transposeA, tb = accumulate.transposeB
            let (m, k) = ta ? (inputShapes[0][1], inputShapes[0][0]) : (inputShapes[0][0], inputShapes[0][1])
            let n = outputShape[1]
            let a = UnsafePointer(inputs[0]), b = UnsafePointer(inputs[1]), c = UnsafePointer(inputs[2])
            let alpha = T(accumulate.alpha), beta = T(accumulate.beta)
            return Made(summary: "\(scalarName)gemm \(m)x\(n)x\(k)\(transposeNote(ta, tb)) accumulate \(accumulate.beta)·C + \(accumulate.alpha)·AB\(c == UnsafePointer(output) ? " in place" : "")", body: {
                if c != UnsafePointer(output) { output.update(from: c, count: m * n) }
                Gemm.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, b: b, c: output, beta: beta)
            })

        case .gemmEpilogue(let epilogue):
            let ta = epilogue.transposeA, tb = epilogue.transposeB
            let (m, k) = ta ? (inputShapes[0][1], inputShapes[0][0]) : (inputShapes[0][0], inputShapes[0][1])
            let n = outputShape[1]
            let a = UnsafePointer(inputs[0]), b = UnsafePointer(inputs[1])
            let bias = epilogue.hasBias ? UnsafePointer(inputs[2]) : nil
            let activation = epilogue.activation
            var parts = ["\(scalarName)gemm \(m)x\(n)x\(k)\(transposeNote(ta, tb))"]
            if bias != nil { parts.append("bias") }
            if let activation { parts.append(activation.label) }
            return Made(summary: parts.joined(separator: " + "), body: {
                if n > 1 && !ta && !tb && Gemm.isSmall(m: m, n: n, k: k) && (activation == nil || activation == .relu) {
                    for i in 0..<m {
                        Gemm.epilogueRow(i, n: n, k: k, a: a, b: b, bias: bias, relu: activation != nil, row: output + i * n)
                    }
                    return
                }
                if n > 1 && Gemm.isSmall(m: m, n: n, k: k) {
                    // Row by row: bias, products and activation while the row is in L1.
                    for i in 0..<m {
                        let row = output + i * n
                        if let bias { row.update(from: bias, count: n) } else { row.update(repeating: 0, count: n) }
                        Gemm.accumulateRow(i, transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a, b: b, row: row)
                        if let activation {
                            ElementwiseFunctions.apply(activation, UnsafePointer(row), row, count: n, indexBase: i * n, step: state.step)
                        }
                    }
                    return
                }
                if let bias {
                    for i in 0..<m { (output + i * n).update(from: bias, count: n) }
                }
                Gemm.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a, b: b, c: output, beta: bias == nil ? 0 : 1)
                if let activation {
                    ElementwiseFunctions.apply(activation, UnsafePointer(output), output, count: m * n, indexBase: 0, step: state.step)
                }
            })
        }
    }

    private func elementwise(_ program: ElementwiseProgram, inputs: [UnsafeMutablePointer<T>], inputShapes: [[Int]],
                             output: UnsafeMutablePointer<T>, outputShape: [Int]) -> Made {
        let kernel = ElementwiseKernel<T>(program: program, inputs: inputs.map { UnsafePointer($0) }, inputShapes: inputShapes,
                                          output: output, outputShape: outputShape)
        let state = self.state
        let names = program.opNames.isEmpty ? "copy" : program.opNames.joined(separator: ", ")
        return Made(summary: "elementwise(\(names)) \(outputShape.reduce(1, *))", body: { kernel.run(step: state.step) })
    }

    private func rowsAndFeatures(_ shape: [Int]) -> (Int, Int) {
        (shape.dropLast().reduce(1, *), shape.last ?? 1)
    }

    private func transposeNote(_ a: Bool, _ b: Bool) -> String {
        a || b ? " (\([a ? "Aᵀ" : nil, b ? "Bᵀ" : nil].compactMap { $0 }.joined(separator: ", ")))" : ""
    }
}

private func invalidLabelError(_ e: LossKernels.InvalidLabel, kind: LossKind, node: String) -> RuntimeError {
    let shown = e.value == e.value.rounded() && Swift.abs(e.value) < 1e15 ? String(Int(e.value)) : String(e.value)
    return RuntimeError.invalidValue("\(kind.kerasName) \"\(node)\": label \(shown) in row \(e.row) is not a class index in 0..<\(e.classes); sparse labels must be integers below the number of classes (use one-hot labels with the non-sparse loss otherwise)")
}
