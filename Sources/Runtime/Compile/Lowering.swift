import Graph

/// Where the session keeps a variable: a buffer of its element count, by variable name.
protocol VariableStorage<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    func pointer(forVariable name: String) -> UnsafeMutablePointer<Scalar>?
}

/// Lowers a (passed) graph to a `Program` for one batch size: resolves every node to a location,
/// plans the arena, and makes one kernel per computing node, in graph order with all assigns last.
struct Lowering<T: TensorScalar> {
    let graph: Graph
    /// The nodes the caller reads after a run, in order.
    let roots: [NodeID]
    /// The buffer a placeholder is fed into (owned by the executable, sized for this batch).
    let placeholderBuffer: (Node) throws -> UnsafeMutablePointer<T>
    let batchSize: Int
    let planMemory: Bool
    let variables: any VariableStorage<T>
    let state: RunState

    /// Where a node's value lives.
    private enum Location {
        case arena(value: Int, offset: Int)
        case external(UnsafeMutablePointer<T>)
    }

    func lower() throws -> Program<T> {
        let nodes = graph.nodes
        // 1. Only what the roots need runs, whatever passes ran before.
        var needed = [Bool](repeating: false, count: nodes.count)
        var stack = roots
        while let id = stack.popLast() {
            if needed[id.index] { continue }
            needed[id.index] = true
            stack.append(contentsOf: nodes[id.index].inputs)
        }
        // 2. Concrete shapes.
        var shapes = [[[Int]]](repeating: [], count: nodes.count)
        for node in nodes where needed[node.id.index] {
            shapes[node.id.index] = node.shapes.map { $0.concretized(batch: batchSize).dims }
            try checkConcrete(node, shapes[node.id.index])
        }
        // 3. Execution order: graph order, assigns last; one position per computing node.
        let computing = nodes.filter { needed[$0.id.index] && !isAlias($0.op) && !$0.op.isSource && $0.op != .assign }
        let assigns = nodes.filter { needed[$0.id.index] && $0.op == .assign }
        var assigned = Set<NodeID>()
        for a in assigns where !assigned.insert(a.inputs[0]).inserted {
            throw RuntimeError.compilation("variable \"\(nodes[a.inputs[0].index].name)\" is assigned twice in one run (\"\(a.name)\" and another assign); combine the updates into one value")
        }
        var position = [Int](repeating: -1, count: nodes.count)
        for (p, node) in computing.enumerated() { position[node.id.index] = p }
        let assignPhase = computing.count

        // 4. Updates computed straight into variable storage (see `inPlaceUpdates`).
        let inPlace = planMemory ? inPlaceUpdates(computing: computing, assigns: assigns, position: position, shapes: shapes) : [:]

        // 5. Values in the arena and their lifetimes.
        var valueOf = [Int](repeating: -1, count: nodes.count)
        var values: [MemoryPlanner.Value] = []
        for node in computing where inPlace[node.id] == nil {
            valueOf[node.id.index] = values.count
            let size = shapes[node.id.index].reduce(0) { $0 + $1.reduce(1, *) }
            values.append(MemoryPlanner.Value(size: size, definedAt: position[node.id.index], lastUse: position[node.id.index], inPlaceCandidates: []))
        }
        // Alias roots: reshape/stop_gradient/output(k) read their source's value.
        func rootValue(_ id: NodeID) -> Int? {
            var current = id
            while isAlias(nodes[current.index].op) { current = nodes[current.index].inputs[0] }
            return valueOf[current.index] >= 0 ? valueOf[current.index] : nil
        }
        for node in computing {
            for input in node.inputs {
                if let v = rootValue(input) { values[v].lastUse = Swift.max(values[v].lastUse, position[node.id.index]) }
            }
            if planMemory, node.op.isElementwise, inPlace[node.id] == nil {
                let outputShape = shapes[node.id.index][0]
                values[valueOf[node.id.index]].inPlaceCandidates = node.inputs.compactMap { input in
                    guard let v = rootValue(input), aliasOffset(input, shapes: shapes) == 0,
                          shapes[input.index][0] == outputShape, values[v].size == outputShape.reduce(1, *) else { return nil }
                    return v
                }
            }
        }
        for a in assigns {
            if let v = rootValue(a.inputs[1]) { values[v].lastUse = Int.max }
        }
        for root in roots {
            if let v = rootValue(root) { values[v].lastUse = Int.max }
        }
        let plan = MemoryPlanner.plan(values, enabled: planMemory)

        // 6. Storage.
        var owned: [UnsafeMutableRawPointer] = []
        func allocate(_ count: Int) -> UnsafeMutablePointer<T> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
            owned.append(raw)
            let typed = raw.bindMemory(to: T.self, capacity: Swift.max(count, 1))
            typed.initialize(repeating: 0, count: Swift.max(count, 1))
            return typed
        }
        let arena = allocate(plan.arenaSize)
        var location = [Location?](repeating: nil, count: nodes.count)
        for node in nodes where needed[node.id.index] {
            let i = node.id.index
            switch node.op {
            case .placeholder:
                location[i] = .external(try placeholderBuffer(node))
            case .variable:
                guard let pointer = variables.pointer(forVariable: node.name) else {
                    throw RuntimeError.compilation("variable \"\(node.name)\" has no storage in this session")
                }
                location[i] = .external(pointer)
            case .constant(let value):
                let buffer = allocate(value.values.count)
                for (k, v) in value.values.enumerated() { buffer[k] = T(v) }
                location[i] = .external(buffer)
            case .assign:
                location[i] = location[node.inputs[0].index]
            case .reshape, .stopGradient:
                location[i] = location[node.inputs[0].index]
            case .output(let k):
                let source = node.inputs[0].index
                let offset = shapes[source][0..<k].reduce(0) { $0 + $1.reduce(1, *) }
                switch location[source]! {
                case .arena(let v, let o): location[i] = .arena(value: v, offset: o + offset)
                case .external(let p): location[i] = .external(p + offset)
                }
            default:
                if let variable = inPlace[node.id] {
                    location[i] = .external(variables.pointer(forVariable: nodes[variable.index].name)!)
                } else {
                    location[i] = .arena(value: valueOf[i], offset: 0)
                }
            }
        }
        func pointer(_ id: NodeID) -> UnsafeMutablePointer<T> {
            switch location[id.index]! {
            case .arena(let v, let offset): return arena + plan.offsets[v] + offset
            case .external(let p): return p
            }
        }

        // 7. Kernels.
        var kernels: [Program<T>.Kernel] = []
        var releases: [() -> Void] = []
        let factory = KernelFactory<T>(state: state, allocate: allocate)
        for node in computing {
            let made = try factory.kernel(for: node, inputs: node.inputs.map(pointer), inputShapes: node.inputs.map { shapes[$0.index][0] },
                                          output: pointer(node.id), outputShapes: shapes[node.id.index])
            kernels.append(Program<T>.Kernel(name: node.name, summary: made.summary, body: made.body))
            if let release = made.release { releases.append(release) }
        }
        // Assign phase: values that live in variable storage are copied aside first, so that
        // assigns that read each other's variables (a swap) see the old values.
        var copies: [(from: UnsafeMutablePointer<T>, to: UnsafeMutablePointer<T>, count: Int)] = []
        var assignCopies: [(from: UnsafeMutablePointer<T>, to: UnsafeMutablePointer<T>, count: Int)] = []
        for a in assigns where inPlace[a.inputs[1]] == nil {
            let count = shapes[a.id.index][0].reduce(1, *)
            var source = pointer(a.inputs[1])
            if rootValue(a.inputs[1]) == nil {
                let temporary = allocate(count)
                copies.append((source, temporary, count))
                source = temporary
            }
            assignCopies.append((source, pointer(a.inputs[0]), count))
        }
        if !assignCopies.isEmpty {
            let allCopies = copies + assignCopies
            kernels.append(Program<T>.Kernel(name: "assigns", summary: "copy \(assignCopies.count) assigned value(s)", body: {
                for copy in allCopies where copy.from != copy.to { copy.to.update(from: copy.from, count: copy.count) }
            }))
        }
        _ = assignPhase

        let outputs = roots.map { Program<T>.Output(pointer: pointer($0), shape: shapes[$0.index][0]) }
        let size = MemoryLayout<T>.stride
        let statistics = CompileStatistics(kernelCount: kernels.count, arenaBytes: plan.arenaSize * size,
                                           unplannedBytes: plan.unplannedSize * size, inPlaceCount: plan.inPlaceCount,
                                           kernelSummaries: kernels.map { "\($0.name): \($0.summary)" })
        let placeholders = nodes.filter { needed[$0.id.index] && $0.op.kind == .placeholder }.map(\.id)
        return Program(batchSize: batchSize, kernels: kernels, outputs: outputs, placeholders: placeholders, statistics: statistics,
                       ownedBuffers: owned, releases: releases)
    }

    /// Assigned values that can be computed straight into their variable's storage, saving the copy
    /// at the end of the run: an elementwise node assigned to a variable `V` when every other reader
    /// of `V`'s old value runs before it (it may read `V` itself, elementwise, at the same index),
    /// and `V` is not itself the value of an assign.
    private func inPlaceUpdates(computing: [Node], assigns: [Node], position: [Int], shapes: [[[Int]]]) -> [NodeID: NodeID] {
        func source(_ id: NodeID) -> NodeID {
            var current = id
            while isAlias(graph[current].op) { current = graph[current].inputs[0] }
            return current
        }
        var readers: [NodeID: [Node]] = [:]
        for node in computing {
            for input in Set(node.inputs.map(source)) where graph[input].op.kind == .variable { readers[input, default: []].append(node) }
        }
        let assignedValues = Set(assigns.map { source($0.inputs[1]) })
        var result: [NodeID: NodeID] = [:]
        for a in assigns {
            let variable = a.inputs[0], value = a.inputs[1]
            let node = graph[value]
            guard node.op.isElementwise || node.op.kind == .gemmAccumulate, position[value.index] >= 0, result[value] == nil,
                  !assignedValues.contains(variable), shapes[value.index][0] == shapes[variable.index][0] else { continue }
            let safe = (readers[variable] ?? []).allSatisfy { reader in
                if reader.id == value {
                    if node.op.kind == .gemmAccumulate {
                        // GEMM may accumulate into C in place, but must not read the variable as A or B.
                        return source(reader.inputs[0]) != variable && source(reader.inputs[1]) != variable
                    }
                    // Reading the variable while overwriting it is safe only at the same index.
                    return reader.inputs.allSatisfy { source($0) != variable || shapes[$0.index][0] == shapes[value.index][0] }
                }
                return position[reader.id.index] < position[value.index]
            }
            if safe { result[value] = variable }
        }
        return result
    }

    private func isAlias(_ op: Op) -> Bool {
        switch op {
        case .reshape, .stopGradient, .output: return true
        default: return false
        }
    }

    /// Elements between the start of a value and an alias of it (non-zero for outputs 1, 2 …).
    private func aliasOffset(_ id: NodeID, shapes: [[[Int]]]) -> Int {
        var current = id
        var offset = 0
        while isAlias(graph[current].op) {
            if case .output(let k) = graph[current].op {
                let source = graph[current].inputs[0].index
                offset += shapes[source][0..<k].reduce(0) { $0 + $1.reduce(1, *) }
            }
            current = graph[current].inputs[0]
        }
        return offset
    }

    private func checkConcrete(_ node: Node, _ shapes: [[Int]]) throws {
        switch node.op {
        case .batchNormTraining, .batchNormTrainingFused:
            // A batch of one normalizes to β, as in Keras (variance 0; PyTorch refuses it).
            if shapes[0].dropLast().reduce(1, *) < 1 {
                throw RuntimeError.invalidFeed("\(node.op.kind.rawValue) \"\(node.name)\" normalizes an empty batch of shape \(shapes[0])")
            }
        default:
            break
        }
    }
}
