import Graph

/// Ops that walk an axis: softmax and log-softmax, reductions, transposes.
extension KernelFactory {
    func softmax(log isLog: Bool, axis: Int, _ o: Operands) -> Made {
        let shape = o.outputShape
        let a = axis < 0 ? axis + shape.count : axis
        let outer = shape[..<a].reduce(1, *), length = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        let x = o.input(0), output = o.output
        return Made(summary: "\(isLog ? "log_" : "")softmax \(outer)x\(length)x\(inner)", body: {
            Softmax.run(log: isLog, outer: outer, length: length, inner: inner, input: x, output: output)
        })
    }

    func reduce(_ op: ReduceOp, axes: [Int], _ o: Operands) -> Made {
        let rank = o.inputShapes[0].count
        let plan = ReductionPlan(inputShape: o.inputShapes[0], axes: Set(axes.map { $0 < 0 ? $0 + rank : $0 }))
        let coordinates = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(rank, 1))
        let x = o.input(0), output = o.output
        return Made(summary: "reduce_\(op.rawValue) \(o.inputShapes[0]) -> \(o.outputShape)", body: {
            Reduction.run(op, plan: plan, input: x, output: output, coordinates: coordinates)
        }, release: { coordinates.deallocate() })
    }

    func transpose(_ permutation: [Int], _ o: Operands) -> Made {
        let plan = TransposePlan(inputShape: o.inputShapes[0], permutation: permutation)
        let coordinates = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(permutation.count, 1))
        let x = o.input(0), output = o.output
        return Made(summary: "transpose \(o.inputShapes[0]) by \(permutation)", body: {
            Transpose.run(plan, input: x, output: output, coordinates: coordinates)
        }, release: { coordinates.deallocate() })
    }
}
