import Graph

/// Per-sample losses and their gradients; a sparse label that is not a class index is an error
/// naming the node, the row and the value.
extension KernelFactory {
    func loss(_ kind: LossKind, _ o: Operands) -> Made {
        let rows = o.inputShapes[1][0], k = o.inputShapes[1][1]
        let labels = o.input(0), predictions = o.input(1), output = o.output, name = o.name
        return Made(summary: "\(kind.kerasName) \(rows)x\(k)", body: {
            do {
                try LossKernels.forward(kind, labels: labels, predictions: predictions, rows: rows, k: k, loss: output)
            } catch let e as LossKernels.InvalidLabel {
                throw invalidLabelError(e, kind: kind, node: name)
            }
        })
    }

    func lossGradient(_ kind: LossKind, _ o: Operands) -> Made {
        let rows = o.inputShapes[2][0], k = o.inputShapes[2][1]
        let cotangent = o.input(0), labels = o.input(1), predictions = o.input(2), output = o.output, name = o.name
        return Made(summary: "\(kind.kerasName)_grad \(rows)x\(k)", body: {
            do {
                try LossKernels.backward(kind, cotangent: cotangent, labels: labels, predictions: predictions, rows: rows, k: k, gradient: output)
            } catch let e as LossKernels.InvalidLabel {
                throw invalidLabelError(e, kind: kind, node: name)
            }
        })
    }
}

private func invalidLabelError(_ e: LossKernels.InvalidLabel, kind: LossKind, node: String) -> RuntimeError {
    let shown = e.value == e.value.rounded() && Swift.abs(e.value) < 1e15 ? String(Int(e.value)) : String(e.value)
    return RuntimeError.invalidValue("\(kind.kerasName) \"\(node)\": label \(shown) in row \(e.row) is not a class index in 0..<\(e.classes); sparse labels must be integers below the number of classes (use one-hot labels with the non-sparse loss otherwise)")
}
