import Graph

/// The typed engine behind `Executable`: feed buffers per placeholder, one `Program` per batch
/// size (compiled on first use and cached), and the last program run (whose outputs are read).
final class TypedExecutable<T: TensorScalar> {
    /// A placeholder of the session's graph and the buffer it is fed into.
    struct Slot {
        let name: String
        let shape: Shape
        /// Trial 0's buffer; trial `t`'s is `t × (the fed count)` elements after it.
        var pointer: UnsafeMutablePointer<T>?
        /// Elements per trial the buffer holds.
        var capacity: Int
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
    /// Trials run together (the session's).
    let trials: Int
    private(set) var slots: [Slot]
    /// Whether slot `s` was fed for trial `t` since the last run, at `s × trials + t`.
    private var fed: [Bool]
    private let slotByName: [String: Int]
    private var programs: [Int: (program: Program<T>, slots: [Int])] = [:]
    private var pendingBatch: Int?
    private(set) var last: Program<T>?

    init(unit: CompilationUnit, placeholders: [Node], planMemory: Bool, variables: VariableStore<T>, state: RunState) {
        self.unit = unit
        self.planMemory = planMemory
        self.variables = variables
        self.state = state
        self.trials = variables.trials
        self.slots = placeholders.map { Slot(name: $0.name, shape: $0.shape, pointer: nil, capacity: 0) }
        self.fed = [Bool](repeating: false, count: placeholders.count * variables.trials)
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

    /// Copies `count` values into slot `index` for trial `trial`, checking the count against the
    /// placeholder's shape (and the trial against the session's).
    @inline(__always)
    func feed(slot index: Int, count: Int, trial: Int = 0, copy: (UnsafeMutablePointer<T>) -> Void) throws {
        guard trial >= 0, trial < trials else {
            throw RuntimeError.invalidFeed("placeholder \"\(slots[index].name)\" fed for trial \(trial), but the session runs \(trials) trial(s) (0..<\(trials))")
        }
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
        guard let pointer = slots[index].pointer else { return }
        copy(pointer + trial * count)
        fed[index * trials + trial] = true
        if let batch { pendingBatch = batch }
    }

    private func ensureCapacity(_ index: Int, _ count: Int) throws {
        guard slots[index].capacity < count else { return }
        // A larger batch than ever before: grow the buffer; programs holding the old address go.
        slots[index].pointer?.deallocate()
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(count * trials, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count * trials, 1))
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
            guard let pointer = self.slots[index].pointer else { throw RuntimeError.compilation("placeholder \"\(node.name)\" has no buffer") }
            return pointer
        }, batchSize: batchSize, planMemory: planMemory, variables: variables, state: state, trials: trials).lower()
        let required = program.placeholders.compactMap { slotByName[unit.graph[$0].name] }
        programs[batchSize] = (program, required)
        return (program, required)
    }

    /// Runs the program for the fed batch size; every placeholder it reads must have been fed.
    /// With `kernelSeconds`, each kernel's wall time is added to its entry.
    func run(kernelSeconds: UnsafeMutablePointer<[Double]>? = nil) throws {
        defer {
            pendingBatch = nil
            for i in fed.indices { fed[i] = false }
        }
        let (program, required) = try compiled(batchSize: pendingBatch ?? 1)
        for index in required {
            for trial in 0..<trials where !fed[index * trials + trial] {
                let which = trials > 1 ? " for trial \(trial)" : ""
                throw RuntimeError.invalidFeed("placeholder \"\(slots[index].name)\" of shape \(slots[index].shape) was not fed\(which), but the fetched values need it; feed it before every run")
            }
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
