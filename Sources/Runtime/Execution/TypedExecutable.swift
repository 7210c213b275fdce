import Graph

/// The typed engine behind `Executable`: feed buffers per placeholder, one `Program` per batch
/// size (compiled on first use and cached), and the last program run (whose outputs are read).
final class TypedExecutable<T: TensorScalar> {
    /// A placeholder of the session's graph and the buffer it is fed into.
    struct Slot {
        let name: String
        let shape: Shape
        var pointer: UnsafeMutablePointer<T>?
        var capacity: Int
        var fed: Bool
    }

    /// What `feed` checks, in trivially copyable form (no retain/release on the hot path).
    struct Layout {
        let batched: Bool
        let perRow: Int
        let count: Int
    }

    let unit: CompilationUnit
    private let layouts: [Layout]
    let planMemory: Bool
    let variables: VariableStore<T>
    let state: RunState
    private(set) var slots: [Slot]
    private let slotByName: [String: Int]
    private var programs: [Int: (program: Program<T>, slots: [Int])] = [:]
    private var pendingBatch: Int?
    private(set) var last: Program<T>?

    init(unit: CompilationUnit, placeholders: [Node], planMemory: Bool, variables: VariableStore<T>, state: RunState) {
        self.unit = unit
        self.planMemory = planMemory
        self.variables = variables
        self.state = state
        self.slots = placeholders.map { Slot(name: $0.name, shape: $0.shape, pointer: nil, capacity: 0, fed: false) }
        self.layouts = placeholders.map { Layout(batched: $0.shape.hasSymbolicBatch, perRow: $0.shape.elementsPerBatchRow, count: $0.shape.elementCount ?? 0) }
        var byName: [String: Int] = [:]
        for (i, p) in placeholders.enumerated() { byName[p.name] = i }
        self.slotByName = byName
    }

    deinit {
        programs.removeAll()
        last = nil
        for slot in slots { slot.pointer?.deallocate() }
    }

    /// Copies `count` values into slot `index`, checking the count against the placeholder's shape.
    @inline(__always)
    func feed(slot index: Int, count: Int, copy: (UnsafeMutablePointer<T>) -> Void) throws {
        let layout = layouts[index]
        var batch: Int?
        if layout.batched {
            let perRow = layout.perRow
            guard count > 0, count % perRow == 0 else {
                throw RuntimeError.invalidFeed("placeholder \"\(slots[index].name)\" of shape \(slots[index].shape) cannot take \(count) values: it needs a positive multiple of \(perRow) (rows × \(perRow))")
            }
            batch = count / perRow
            if let pending = pendingBatch, pending != batch {
                throw RuntimeError.invalidFeed("placeholder \"\(slots[index].name)\" was fed \(batch!) rows but another feed of this run had \(pending); every batched feed of one run needs the same number of rows")
            }
        } else if count != layout.count {
            throw RuntimeError.invalidFeed("placeholder \"\(slots[index].name)\" of shape \(slots[index].shape) needs \(layout.count) values, got \(count)")
        }
        try ensureCapacity(index, count)
        copy(slots[index].pointer!)
        slots[index].fed = true
        if let batch { pendingBatch = batch }
    }

    private func ensureCapacity(_ index: Int, _ count: Int) throws {
        guard slots[index].capacity < count else { return }
        // A larger batch than ever before: grow the buffer; programs holding the old address go.
        slots[index].pointer?.deallocate()
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
        slots[index].pointer = pointer
        slots[index].capacity = count
        programs.removeAll()
        cached = nil
        cachedBatch = -1
        last = nil
    }

    /// Batch sizes with a compiled program, ascending.
    var compiledBatchSizes: [Int] { programs.keys.sorted() }

    /// The program for a batch size, compiling it on first use.
    func program(batchSize: Int) throws -> Program<T> {
        try compiled(batchSize: batchSize).program
    }

    private var cachedBatch = -1
    private var cached: (program: Program<T>, slots: [Int])?

    private func compiled(batchSize: Int) throws -> (program: Program<T>, slots: [Int]) {
        if batchSize == cachedBatch, let cached { return cached }
        if let compiled = programs[batchSize] {
            cachedBatch = batchSize
            cached = compiled
            return compiled
        }
        let program = try Lowering<T>(graph: unit.graph, roots: unit.roots, placeholderBuffer: { [unowned self] node in
            guard let index = self.slotByName[node.name] else {
                throw RuntimeError.compilation("placeholder \"\(node.name)\" is not part of this session's graph")
            }
            let count = node.shape.concretized(batch: batchSize).elementCount ?? 0
            try self.ensureCapacity(index, count)
            return self.slots[index].pointer!
        }, batchSize: batchSize, planMemory: planMemory, variables: variables, state: state).lower()
        let required = program.placeholders.compactMap { slotByName[unit.graph[$0].name] }
        programs[batchSize] = (program, required)
        return (program, required)
    }

    /// Runs the program for the fed batch size; every placeholder it reads must have been fed.
    /// With `kernelSeconds`, each kernel's wall time is added to its entry.
    func run(kernelSeconds: UnsafeMutablePointer<[Double]>? = nil) throws {
        defer {
            pendingBatch = nil
            for i in slots.indices { slots[i].fed = false }
        }
        let (program, required) = try compiled(batchSize: pendingBatch ?? 1)
        for index in required where !slots[index].fed {
            throw RuntimeError.invalidFeed("placeholder \"\(slots[index].name)\" of shape \(slots[index].shape) was not fed, but the fetched values need it; feed it before every run")
        }
        if let kernelSeconds {
            if kernelSeconds.pointee.count != program.kernels.count {
                kernelSeconds.pointee = [Double](repeating: 0, count: program.kernels.count)
            }
            try program.runTimed(&kernelSeconds.pointee)
        } else {
            try program.run()
        }
        state.step &+= 1
        last = program
    }
}
