import Graph

/// Where the session keeps a variable: a buffer of its element count per trial (trial `t`'s copy
/// `t × count` elements after the first), by variable name.
protocol VariableStorage<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    func pointer(forVariable name: String) -> UnsafeMutablePointer<Scalar>?
}

/// Lowers a (passed) graph to a `Program` for one batch size: resolves every node to a location,
/// plans the arena, and makes one kernel per computing node, in graph order with the effects
/// (assigns and optimizer steps) last.
///
/// With `trials` K > 1 the program trains K copies of the graph at once (vectorized trials): every
/// variable, fed value and intermediate value has K copies side by side (trial `t`'s `t × size`
/// elements after trial 0's; constants are shared). An elementwise kernel whose operands are all
/// laid out so runs once over the K copies as one tensor with a leading trial axis; every other
/// kernel runs its K instances in a loop inside one kernel. Each trial's arithmetic is exactly
/// what the program computes for it alone, so its values are bit for bit the same.
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
    /// Copies of the graph trained together (1: the plain program).
    let trials: Int

    init(graph: Graph, roots: [NodeID], placeholderBuffer: @escaping (Node) throws -> UnsafeMutablePointer<T>, batchSize: Int,
         planMemory: Bool, variables: any VariableStorage<T>, state: RunState, trials: Int = 1) {
        (self.graph, self.roots, self.placeholderBuffer, self.batchSize) = (graph, roots, placeholderBuffer, batchSize)
        (self.planMemory, self.variables, self.state, self.trials) = (planMemory, variables, state, trials)
    }

    /// Where a node's value lives: trial 0's copy, and the elements from one trial's copy to the
    /// next (0 for constants, shared by all trials).
    private enum Location {
        case arena(value: Int, offset: Int)
        case external(UnsafeMutablePointer<T>, trialStride: Int)
        /// A node that does not run (no root needs it): never read.
        case unplaced
    }

    /// The nodes that run, in order: computing nodes in graph order, then the effects.
    private struct Schedule {
        var computing: [Node]
        /// The `assign` nodes.
        var assigns: [Node]
        /// The `apply_updates` nodes (optimizer steps, run after the assigns' values are set aside).
        var updates: [Node]
        /// Each computing node's position in `computing` (-1 for the others), by node index.
        var position: [Int]
    }

    /// The arena values (one per computing node not updated in place) and their placement.
    private struct ArenaLayout {
        /// The value of each node, by node index (-1 for nodes without one).
        var valueOf: [Int]
        var plan: MemoryPlanner.Plan
        /// Elements of one trial's copy of each value (its block holds `trials` copies).
        var valueSizes: [Int]
    }

    func lower() throws -> Program<T> {
        let needed = neededNodes()
        let shapes = try concreteShapes(needed)
        let schedule = try scheduleNodes(needed)
        let inPlace = planMemory ? inPlaceUpdates(computing: schedule.computing, assigns: schedule.assigns,
                                                  readByUpdates: Set(schedule.updates.flatMap(\.inputs).map(aliasSource)),
                                                  position: schedule.position, shapes: shapes) : [:]
        let layout = arenaLayout(schedule, inPlace: inPlace, shapes: shapes)
        let buffers = OwnedBuffers<T>()
        let arena = buffers.allocate(layout.plan.arenaSize)
        let location = try locate(needed, layout: layout, inPlace: inPlace, shapes: shapes, buffers: buffers)
        let places = Places(location: location, arena: arena, offsets: layout.plan.offsets, valueSizes: layout.valueSizes, graph: graph)
        var (kernels, releases) = try computingKernels(schedule.computing, shapes: shapes, places: places, buffers: buffers)
        kernels += effectKernels(schedule, inPlace: inPlace, layout: layout, shapes: shapes, places: places, buffers: buffers)
        return program(kernels: kernels, releases: releases, needed: needed, shapes: shapes, plan: layout.plan,
                       places: places, buffers: buffers)
    }

    /// Resolved locations: a node's buffer for a trial, and how far apart its trials' copies are.
    private struct Places {
        let location: [Location]
        let arena: UnsafeMutablePointer<T>
        let offsets: [Int]
        let valueSizes: [Int]
        let graph: Graph

        func pointer(_ id: NodeID, trial: Int = 0) -> UnsafeMutablePointer<T> {
            switch location[id.index] {
            case .arena(let v, let offset): return arena + offsets[v] + offset + trial * valueSizes[v]
            case .external(let p, let stride): return p + trial * stride
            case .unplaced: preconditionFailure("internal invariant: \(graph[id].name) is read but was not placed")
            }
        }

        func trialStride(_ id: NodeID) -> Int {
            switch location[id.index] {
            case .arena(let v, _): return valueSizes[v]
            case .external(_, let stride): return stride
            case .unplaced: return 0
            }
        }
    }

    /// Only what the roots need runs, whatever passes ran before.
    private func neededNodes() -> [Bool] {
        var needed = [Bool](repeating: false, count: graph.nodes.count)
        var stack = roots
        while let id = stack.popLast() {
            if needed[id.index] { continue }
            needed[id.index] = true
            stack.append(contentsOf: graph[id].inputs)
        }
        return needed
    }

    /// Every output shape of every needed node at this batch size.
    private func concreteShapes(_ needed: [Bool]) throws -> [[[Int]]] {
        var shapes = [[[Int]]](repeating: [], count: graph.nodes.count)
        for node in graph.nodes where needed[node.id.index] {
            shapes[node.id.index] = node.shapes.map { $0.concretized(batch: batchSize).dims }
            try checkConcrete(node, shapes[node.id.index])
        }
        return shapes
    }

    /// Graph order with the effects last; a variable written twice is an error.
    private func scheduleNodes(_ needed: [Bool]) throws -> Schedule {
        let nodes = graph.nodes.filter { needed[$0.id.index] }
        let computing = nodes.filter { $0.op.traits.role == .computed }
        let effects = nodes.filter { $0.op.traits.role == .effect }
        var assigned = Set<NodeID>()
        for effect in effects {
            for (k, variable) in effect.inputs.enumerated() where effect.op.writesInput(k) && !assigned.insert(variable).inserted {
                throw RuntimeError.compilation("variable \"\(graph[variable].name)\" is assigned twice in one run (\"\(effect.name)\" and another assign or optimizer step); combine the updates into one value")
            }
        }
        var position = [Int](repeating: -1, count: graph.nodes.count)
        for (p, node) in computing.enumerated() { position[node.id.index] = p }
        return Schedule(computing: computing, assigns: effects.filter { $0.op.kind == .assign },
                        updates: effects.filter { $0.op.kind == .applyUpdates }, position: position)
    }

    /// The node an alias chain (`reshape`/`stop_gradient`/`output(k)`) starts from.
    private func aliasSource(_ id: NodeID) -> NodeID {
        var current = id
        while graph[current].op.isAlias { current = graph[current].inputs[0] }
        return current
    }

    /// The arena value that an alias chain (`reshape`/`stop_gradient`/`output(k)`) ends at, if any.
    private func rootValue(_ id: NodeID, _ valueOf: [Int]) -> Int? {
        var current = id
        while graph[current].op.isAlias { current = graph[current].inputs[0] }
        return valueOf[current.index] >= 0 ? valueOf[current.index] : nil
    }

    /// One arena value per computing node not updated in place, with its lifetime and the inputs an
    /// elementwise node may overwrite; fetched and assigned values live to the end.
    private func arenaLayout(_ schedule: Schedule, inPlace: [NodeID: NodeID], shapes: [[[Int]]]) -> ArenaLayout {
        var valueOf = [Int](repeating: -1, count: graph.nodes.count)
        var values: [MemoryPlanner.Value] = []
        for node in schedule.computing where inPlace[node.id] == nil {
            let p = schedule.position[node.id.index]
            valueOf[node.id.index] = values.count
            let size = shapes[node.id.index].reduce(0) { $0 + $1.reduce(1, *) }
            values.append(MemoryPlanner.Value(size: size * trials, definedAt: p, lastUse: p, inPlaceCandidates: []))
        }
        for node in schedule.computing {
            for input in node.inputs {
                if let v = rootValue(input, valueOf) { values[v].lastUse = Swift.max(values[v].lastUse, schedule.position[node.id.index]) }
            }
            if planMemory, node.op.isElementwise, inPlace[node.id] == nil {
                let outputShape = shapes[node.id.index][0]
                values[valueOf[node.id.index]].inPlaceCandidates = node.inputs.compactMap { input in
                    guard let v = rootValue(input, valueOf), aliasOffset(input, shapes: shapes) == 0,
                          shapes[input.index][0] == outputShape, values[v].size == outputShape.reduce(1, *) * trials else { return nil }
                    return v
                }
            }
        }
        for id in schedule.assigns.map({ $0.inputs[1] }) + schedule.updates.flatMap(\.inputs) + roots {
            if let v = rootValue(id, valueOf) { values[v].lastUse = Int.max }
        }
        return ArenaLayout(valueOf: valueOf, plan: MemoryPlanner.plan(values, enabled: planMemory), valueSizes: values.map { $0.size / trials })
    }

    /// Where each needed node's value lives: fed and variable buffers, the constant pool, the
    /// arena, or (aliases and assigns) its input's place.
    private func locate(_ needed: [Bool], layout: ArenaLayout, inPlace: [NodeID: NodeID], shapes: [[[Int]]],
                        buffers: OwnedBuffers<T>) throws -> [Location] {
        var location = [Location](repeating: .unplaced, count: graph.nodes.count)
        for node in graph.nodes where needed[node.id.index] {
            location[node.id.index] = try place(node, location: location, layout: layout, inPlace: inPlace, shapes: shapes, buffers: buffers)
        }
        return location
    }

    private func place(_ node: Node, location: [Location], layout: ArenaLayout, inPlace: [NodeID: NodeID], shapes: [[[Int]]],
                       buffers: OwnedBuffers<T>) throws -> Location {
        switch node.op {
        case .placeholder:
            return .external(try placeholderBuffer(node), trialStride: shapes[node.id.index][0].reduce(1, *))
        case .variable:
            return .external(try variablePointer(node.name), trialStride: shapes[node.id.index][0].reduce(1, *))
        case .constant(let value):
            let buffer = buffers.allocate(value.values.count)
            for (k, v) in value.values.enumerated() { buffer[k] = T(v) }
            return .external(buffer, trialStride: 0)
        case .output(let k):
            let source = node.inputs[0].index
            let offset = shapes[source][0..<k].reduce(0) { $0 + $1.reduce(1, *) }
            switch location[source] {
            case .arena(let v, let o): return .arena(value: v, offset: o + offset)
            case .external(let p, let stride): return .external(p + offset, trialStride: stride)
            case .unplaced: return .unplaced
            }
        case .assign, .applyUpdates, .reshape, .stopGradient:
            return location[node.inputs[0].index]
        case .matmul, .unary, .binary, .softmax, .logSoftmax, .reduce, .transpose, .broadcast, .batchNormTraining,
             .batchNormInference, .batchNormTrainingGradient, .loss, .lossGradient, .fusedElementwise, .gemmEpilogue,
             .gemmAccumulate, .batchNormTrainingFused, .batchNormTrainingGradientFused:
            if let variable = inPlace[node.id] {
                return .external(try variablePointer(graph[variable].name), trialStride: shapes[variable.index][0].reduce(1, *))
            }
            return .arena(value: layout.valueOf[node.id.index], offset: 0)
        }
    }

    private func variablePointer(_ name: String) throws -> UnsafeMutablePointer<T> {
        guard let pointer = variables.pointer(forVariable: name) else {
            throw RuntimeError.compilation("variable \"\(name)\" has no storage in this session")
        }
        return pointer
    }

    /// One kernel per computing node, in schedule order.
    private func computingKernels(_ computing: [Node], shapes: [[[Int]]], places: Places,
                                  buffers: OwnedBuffers<T>) throws -> ([Program<T>.Kernel], [() -> Void]) {
        var kernels: [Program<T>.Kernel] = []
        var releases: [() -> Void] = []
        let factory = KernelFactory<T>(state: state, allocate: buffers.allocate)
        for node in computing {
            let inputShapes = node.inputs.map { shapes[$0.index][0] }
            if trials > 1, let program = node.op.elementwiseProgram, !program.isRandom,
               let made = factory.elementwiseOverTrials(program, name: node.name, trials: trials,
                                                        inputs: node.inputs.map { (places.pointer($0), places.trialStride($0)) }, inputShapes: inputShapes,
                                                        output: (places.pointer(node.id), places.trialStride(node.id)), outputShape: shapes[node.id.index][0]) {
                kernels.append(Program<T>.Kernel(name: node.name, summary: made.summary, body: made.body))
                continue
            }
            var instances: [KernelFactory<T>.Made] = []
            for trial in 0..<trials {
                instances.append(try factory.kernel(for: node, inputs: node.inputs.map { places.pointer($0, trial: trial) }, inputShapes: inputShapes,
                                                    output: places.pointer(node.id, trial: trial), outputShapes: shapes[node.id.index]))
            }
            releases.append(contentsOf: instances.compactMap(\.release))
            if instances.count == 1 {
                kernels.append(Program<T>.Kernel(name: node.name, summary: instances[0].summary, body: instances[0].body))
            } else {
                let bodies = instances.map(\.body)
                kernels.append(Program<T>.Kernel(name: node.name, summary: "\(instances[0].summary) × \(trials) trials", body: {
                    for body in bodies { try body() }
                }))
            }
        }
        return (kernels, releases)
    }

    /// The effects, after every computing kernel: assigned values that live in variable storage
    /// are copied aside first, so that effects reading each other's variables (a swap, an optimizer
    /// step reading a variable an assign writes) see the old values; then the optimizer steps; then
    /// the assigns' copies.
    private typealias Copy = (from: UnsafeMutablePointer<T>, to: UnsafeMutablePointer<T>, count: Int)

    private func effectKernels(_ schedule: Schedule, inPlace: [NodeID: NodeID], layout: ArenaLayout, shapes: [[[Int]]],
                               places: Places, buffers: OwnedBuffers<T>) -> [Program<T>.Kernel] {
        var copiesAside: [Copy] = []
        var assignCopies: [Copy] = []
        for a in schedule.assigns where inPlace[a.inputs[1]] == nil {
            let count = shapes[a.id.index][0].reduce(1, *)
            for trial in 0..<trials {
                var source = places.pointer(a.inputs[1], trial: trial)
                if rootValue(a.inputs[1], layout.valueOf) == nil {
                    let temporary = buffers.allocate(count)
                    copiesAside.append((source, temporary, count))
                    source = temporary
                }
                assignCopies.append((source, places.pointer(a.inputs[0], trial: trial), count))
            }
        }
        let updates = schedule.updates.map { updateKernel($0, shapes: shapes, places: places, buffers: buffers, setAside: &copiesAside) }
        var kernels: [Program<T>.Kernel] = []
        if !copiesAside.isEmpty {
            kernels.append(Program<T>.Kernel(name: "assigns", summary: "set \(copiesAside.count) value(s) aside", body: {
                for copy in copiesAside { copy.to.update(from: copy.from, count: copy.count) }
            }))
        }
        kernels += updates
        if !assignCopies.isEmpty {
            kernels.append(Program<T>.Kernel(name: "assigns", summary: "copy \(assignCopies.count) assigned value(s)", body: {
                for copy in assignCopies where copy.from != copy.to { copy.to.update(from: copy.from, count: copy.count) }
            }))
        }
        return kernels
    }

    /// An `apply_updates` node's kernel: every parameter of every trial in one loop over them. A
    /// scalar or gradient that is (an alias of) a variable the step writes is read from a copy
    /// set aside with the assigns' (`setAside`), as the elementwise update would read it: before
    /// any parameter changes.
    private func updateKernel(_ node: Node, shapes: [[[Int]]], places: Places, buffers: OwnedBuffers<T>,
                              setAside: inout [Copy]) -> Program<T>.Kernel {
        guard case .applyUpdates(let rule, let count) = node.op else { preconditionFailure("internal invariant: \(node.name) is not apply_updates") }
        let written = Set(node.inputs.indices.filter { node.op.writesInput($0) }.map { node.inputs[$0] })
        /// Where the step reads input `id` of `trial` from.
        func readable(_ id: NodeID, trial: Int, count: Int) -> UnsafePointer<T> {
            let pointer = places.pointer(id, trial: trial)
            guard written.contains(aliasSource(id)) else { return UnsafePointer(pointer) }
            let copy = buffers.allocate(count)
            setAside.append((pointer, copy, count))
            return UnsafePointer(copy)
        }
        var scalars: [UnsafePointer<T>] = []
        var parameters: [UpdateKernel<T>.Parameter] = []
        for trial in 0..<trials {
            scalars.append(readable(node.inputs[0], trial: trial, count: 1))
            for p in 0..<count {
                let group = Array(node.inputs[(1 + p * rule.inputsPerParameter)..<(1 + (p + 1) * rule.inputsPerParameter)])
                let size = shapes[group[0].index][0].reduce(1, *)
                let slots = group.dropFirst(2).map { places.pointer($0, trial: trial) }
                parameters.append(UpdateKernel<T>.Parameter(trial: trial, weights: places.pointer(group[0], trial: trial),
                                                            gradient: readable(group[1], trial: trial, count: size), slots: slots, count: size))
            }
        }
        let kernel = UpdateKernel(rule: rule, scalars: scalars, parameters: parameters)
        let values = parameters.reduce(0) { $0 + $1.count } / Swift.max(trials, 1)
        return Program<T>.Kernel(name: node.name, summary: "apply_updates(\(rule.label)) \(count) parameter(s), \(values) values"
                                    + (trials > 1 ? " × \(trials) trials" : ""), body: { kernel.run() })
    }

    private func program(kernels: [Program<T>.Kernel], releases: [() -> Void], needed: [Bool], shapes: [[[Int]]],
                         plan: MemoryPlanner.Plan, places: Places, buffers: OwnedBuffers<T>) -> Program<T> {
        let outputs = roots.map { Program<T>.Output(pointer: places.pointer($0), shape: shapes[$0.index][0], trialStride: places.trialStride($0)) }
        let size = MemoryLayout<T>.stride
        let statistics = CompileStatistics(kernelCount: kernels.count, arenaBytes: plan.arenaSize * size,
                                           unplannedBytes: plan.unplannedSize * size, inPlaceCount: plan.inPlaceCount,
                                           kernelSummaries: kernels.map { "\($0.name): \($0.summary)" })
        let placeholders = graph.nodes.filter { needed[$0.id.index] && $0.op.kind == .placeholder }.map(\.id)
        return Program(batchSize: batchSize, trials: trials, kernels: kernels, outputs: outputs, placeholders: placeholders, statistics: statistics,
                       ownedBuffers: buffers.owned, releases: releases)
    }

    /// Assigned values that can be computed straight into their variable's storage, saving the copy
    /// at the end of the run: an elementwise node assigned to a variable `V` when every other reader
    /// of `V`'s old value runs before it (it may read `V` itself, elementwise, at the same index),
    /// and `V` is not itself the value of an assign nor read by an optimizer step (which runs after).
    private func inPlaceUpdates(computing: [Node], assigns: [Node], readByUpdates: Set<NodeID>, position: [Int],
                                shapes: [[[Int]]]) -> [NodeID: NodeID] {
        let source = aliasSource
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
                  !assignedValues.contains(variable), !readByUpdates.contains(variable),
                  shapes[value.index][0] == shapes[variable.index][0] else { continue }
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

    /// Elements between the start of a value and an alias of it (non-zero for outputs 1, 2 …).
    private func aliasOffset(_ id: NodeID, shapes: [[[Int]]]) -> Int {
        var current = id
        var offset = 0
        while graph[current].op.isAlias {
            if case .output(let k) = graph[current].op {
                let source = graph[current].inputs[0].index
                offset += shapes[source][0..<k].reduce(0) { $0 + $1.reduce(1, *) }
            }
            current = graph[current].inputs[0]
        }
        return offset
    }

    /// A batch of one normalizes to β, as in Keras (variance 0; PyTorch refuses it); an empty one is an error.
    private func checkConcrete(_ node: Node, _ shapes: [[Int]]) throws {
        guard [.batchNormTraining, .batchNormTrainingFused].contains(node.op.kind), shapes[0].dropLast().reduce(1, *) < 1 else { return }
        throw RuntimeError.invalidFeed("\(node.op.kind.rawValue) \"\(node.name)\" normalizes an empty batch of shape \(shapes[0])")
    }
}

/// Zeroed, 64-byte-aligned buffers that the program owns and frees.
private final class OwnedBuffers<T: TensorScalar> {
    private(set) var owned: [UnsafeMutableRawPointer] = []

    func allocate(_ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        owned.append(raw)
        let typed = raw.bindMemory(to: T.self, capacity: Swift.max(count, 1))
        typed.initialize(repeating: 0, count: Swift.max(count, 1))
        return typed
    }
}
