import Graph

/// Matrix products: plain, accumulating (`beta·C + alpha·AB`) and with a bias/activation epilogue.
extension KernelFactory {
    func matmul(transposeA ta: Bool, transposeB tb: Bool, _ o: Operands) -> Made {
        let (m, n, k) = extents(ta, o)
        let a = o.input(0), b = o.input(1), output = o.output
        return Made(summary: "\(scalarName)gemm \(m)x\(n)x\(k)\(transposeNote(ta, tb))", body: {
            Gemm.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a, b: b, c: output, beta: 0)
        })
    }

    func gemmAccumulate(_ accumulate: GemmAccumulate, _ o: Operands) -> Made {
        let ta = accumulate.transposeA, tb = accumulate.transposeB
        let (m, n, k) = extents(ta, o)
        let a = o.input(0), b = o.input(1), c = o.input(2), output = o.output
        let alpha = T(accumulate.alpha), beta = T(accumulate.beta)
        let inPlace = c == UnsafePointer(output)
        return Made(summary: "\(scalarName)gemm \(m)x\(n)x\(k)\(transposeNote(ta, tb)) accumulate \(accumulate.beta)·C + \(accumulate.alpha)·AB\(inPlace ? " in place" : "")", body: {
            if !inPlace { output.update(from: c, count: m * n) }
            Gemm.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, b: b, c: output, beta: beta)
        })
    }

    func gemmEpilogue(_ epilogue: GemmEpilogue, _ o: Operands) -> Made {
        let ta = epilogue.transposeA, tb = epilogue.transposeB
        let (m, n, k) = extents(ta, o)
        let a = o.input(0), b = o.input(1), output = o.output
        let bias = epilogue.hasBias ? o.input(2) : nil
        let activation = epilogue.activation
        let state = self.state
        var parts = ["\(scalarName)gemm \(m)x\(n)x\(k)\(transposeNote(ta, tb))"]
        if bias != nil { parts.append("bias") }
        if let activation { parts.append(activation.label) }
        return Made(summary: parts.joined(separator: " + "), body: {
            if n > 1 && !ta && !tb && Gemm.isSmall(m: m, n: n, k: k) && (activation == nil || activation == .relu) {
                Gemm.epilogue(m: m, n: n, k: k, a: a, b: b, bias: bias, relu: activation != nil, output: output)
                return
            }
            if n > 1 && Gemm.isSmall(m: m, n: n, k: k, transposeB: tb) {
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
            if let bias, n == 1 {
                output.update(repeating: bias[0], count: m)
            } else if let bias {
                for i in 0..<m { (output + i * n).update(from: bias, count: n) }
            }
            Gemm.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a, b: b, c: output, beta: bias == nil ? 0 : 1)
            if let activation {
                ElementwiseFunctions.apply(activation, UnsafePointer(output), output, count: m * n, indexBase: 0, step: state.step)
            }
        })
    }

    /// `(m, n, k)` of `op(A)·op(B)`.
    private func extents(_ transposeA: Bool, _ o: Operands) -> (Int, Int, Int) {
        let a = o.inputShapes[0]
        let (m, k) = transposeA ? (a[1], a[0]) : (a[0], a[1])
        return (m, o.outputShape[1], k)
    }

    private func transposeNote(_ a: Bool, _ b: Bool) -> String {
        a || b ? " (\([a ? "Aᵀ" : nil, b ? "Bᵀ" : nil].compactMap { $0 }.joined(separator: ", ")))" : ""
    }
}
