import Graph

/// The session's variables: one dense buffer per variable name, typed in the graph's dtype,
/// initialised from the graph's initial values (or zeros).
final class VariableStore<T: TensorScalar>: VariableStorage {
    typealias Scalar = T

    struct Entry {
        let pointer: UnsafeMutablePointer<T>
        let shape: [Int]
        var count: Int { shape.reduce(1, *) }
    }

    private(set) var entries: [String: Entry] = [:]

    init(graph: Graph) {
        for id in graph.variables {
            let node = graph[id]
            let count = node.shape.elementCount ?? 0
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(count, 1))
            pointer.initialize(repeating: 0, count: Swift.max(count, 1))
            if let initial = graph.initialValues[id] {
                for (i, v) in initial.enumerated() { pointer[i] = T(v) }
            }
            entries[node.name] = Entry(pointer: pointer, shape: node.shape.dims)
        }
    }

    deinit {
        for entry in entries.values { entry.pointer.deallocate() }
    }

    func pointer(forVariable name: String) -> UnsafeMutablePointer<T>? { entries[name]?.pointer }
}
