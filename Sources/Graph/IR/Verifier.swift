extension Graph {
    /// Checks the invariants every pass and the runtime rely on, throwing `GraphError.invalid` on the
    /// first broken one: ids match positions; every input exists and precedes its consumer (so the
    /// graph is acyclic and topologically ordered); every node has the graph's dtype; names are
    /// unique; stored shapes equal re-inferred ones; initial values belong to variables and fit them.
    public func verify() throws {
        var names = Set<String>()
        for (position, node) in nodes.enumerated() {
            guard node.id.index == position else {
                throw GraphError.invalid("node \"\(node.name)\" has id \(node.id) at position \(position)")
            }
            for input in node.inputs {
                guard input.index >= 0, input.index < nodes.count else {
                    throw GraphError.invalid("node \"\(node.name)\" reads \(input), which does not exist")
                }
                guard input.index < position else {
                    throw GraphError.invalid("node \"\(node.name)\" reads \"\(nodes[input.index].name)\", which does not precede it: the graph has a cycle or is not topologically ordered")
                }
            }
            guard node.dtype == dtype else {
                throw GraphError.invalid("node \"\(node.name)\" has dtype \(node.dtype) in a \(dtype) graph")
            }
            guard names.insert(node.name).inserted else {
                throw GraphError.invalid("the name \"\(node.name)\" is used twice")
            }
            let inferred = try ShapeInference.shapes(of: node.op, named: node.name, inputs: node.inputs.map { nodes[$0.index] })
            guard inferred == node.shapes else {
                throw GraphError.invalid("node \"\(node.name)\" records shapes \(node.shapes) but its op and inputs give \(inferred)")
            }
        }
        for (id, values) in initialValues {
            guard id.index >= 0, id.index < nodes.count, case .variable(let shape, _) = nodes[id.index].op else {
                throw GraphError.invalid("an initial value is given for \(id), which is not a variable")
            }
            guard values.count == shape.elementCount else {
                throw GraphError.invalid("variable \"\(nodes[id.index].name)\" of shape \(shape) has \(values.count) initial values")
            }
        }
    }
}
