import Graph

/// The session's variables: one dense buffer per variable name, typed in the graph's dtype,
/// initialised from the graph's initial values (or zeros). With several trials, a variable's
/// buffer holds one copy per trial side by side (trial `t`'s `t × count` elements in), each
/// starting from the initial values.
final class VariableStore<T: TensorScalar>: VariableStorage {
    typealias Scalar = T

    struct Entry {
        /// Trial 0's copy.
        let pointer: UnsafeMutablePointer<T>
        let shape: [Int]
        var count: Int { shape.reduce(1, *) }

        /// Trial `trial`'s copy.
        func pointer(trial: Int) -> UnsafeMutablePointer<T> { pointer + trial * count }
    }

    private(set) var entries: [String: Entry] = [:]
    let trials: Int

    init(graph: Graph, trials: Int = 1) {
        self.trials = trials
        for id in graph.variables {
            let node = graph[id]
            let count = node.shape.elementCount ?? 0
            let capacity = Swift.max(count * trials, 1)
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
            if let initial = graph.initialValues[id] {
                for trial in 0..<trials {
                    for (i, v) in initial.enumerated() { pointer[trial * count + i] = T(v) }
                }
            }
            entries[node.name] = Entry(pointer: pointer, shape: node.shape.dims)
        }
    }

    deinit {
        for entry in entries.values { entry.pointer.deallocate() }
    }

    func pointer(forVariable name: String) -> UnsafeMutablePointer<T>? { entries[name]?.pointer }
}
