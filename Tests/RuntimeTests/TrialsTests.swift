import Foundation
import Testing
import Graph
import Autodiff
import Runtime

/// Vectorized trials: K copies of a training step in one program give each trial exactly (bit for
/// bit) what a session of that trial alone gives, whatever the others do.
struct TrialsTests {
    /// A small training step with everything a model has: GEMMs with bias and ReLU, batch norm with
    /// moving statistics, dropout, a BCE loss, and SGD with momentum at a learning rate held in a
    /// variable (so trials may differ in it).
    struct Step {
        let graph: Graph
        let x: NodeID, y: NodeID, learningRate: NodeID, loss: NodeID
        let updates: [NodeID]
        let variables: [NodeID]

        /// With `fused`, the SGD step is one `apply_updates` node instead of elementwise assigns.
        init(dtype: DType, fused: Bool = false) throws {
            let g = Graph(dtype: dtype)
            x = try g.placeholder("x", [Shape.batch, 3])
            y = try g.placeholder("y", [Shape.batch, 1])
            learningRate = try g.variable("lr", .scalar, initialValue: [0.1], trainable: false)
            let w1 = try g.variable("w1", [3, 12]), b1 = try g.variable("b1", [12])
            let gamma = try g.variable("gamma", [12], initialValue: [Double](repeating: 1, count: 12)), beta = try g.variable("beta", [12])
            let w2 = try g.variable("w2", [12, 1]), b2 = try g.variable("b2", [1])
            let movingMean = try g.variable("moving_mean", [12], trainable: false)
            let h = try g.relu(g.add(g.matmul(x, w1), b1))
            let bn = try g.batchNormTraining(h, gamma: gamma, beta: beta)
            let dropped = try g.dropout(bn.output, rate: 0.25, seed: 7)
            let p = try g.sigmoid(g.add(g.matmul(dropped, w2), b2))
            loss = try g.loss(.binaryCrossEntropy, labels: y, predictions: p)
            let parameters = [w1, b1, gamma, beta, w2, b2]
            let grads = try g.gradients(of: loss, wrt: parameters)
            var updates: [NodeID] = []
            var variables = parameters + [movingMean]
            var groups: [(parameter: NodeID, gradient: NodeID, slots: [NodeID])] = []
            for (parameter, gradient) in zip(parameters, grads) {
                let velocity = try g.variable("\(g[parameter].name)/velocity", g[parameter].shape, trainable: false)
                variables.append(velocity)
                if fused {
                    groups.append((parameter, gradient, [velocity]))
                    continue
                }
                let newVelocity = try g.sub(g.mul(velocity, g.scalar(0.9)), g.mul(gradient, learningRate))
                updates.append(try g.assign(velocity, newVelocity))
                updates.append(try g.assign(parameter, g.add(parameter, newVelocity)))
            }
            if fused { updates.append(try g.applyUpdates(.momentum(0.9, nesterov: false), scalar: learningRate, groups)) }
            updates.append(try g.assign(movingMean, g.add(g.mul(movingMean, g.scalar(0.99)), g.mul(bn.mean, g.scalar(0.01)))))
            self.updates = updates
            self.variables = variables
            graph = g
        }
    }

    /// Trial `t`'s own initial weights, learning rate and data.
    static func setUp(_ session: Session, _ step: Step, trial t: Int, sessionTrial: Int) throws {
        for (k, variable) in step.variables.prefix(6).enumerated() {
            let shape = step.graph[variable].shape.dims
            let count = shape.reduce(1, *)
            let values = randomValues(count, seed: UInt64(100 * t + k), low: -0.8, high: 0.8)
            try session.setValue(Tensor(shape: shape, k == 2 ? values.map { 1 + $0 / 4 } : values), of: variable, trial: sessionTrial)
        }
        try session.setScalar([0.3, 0.05, 0.01, 1.5][t % 4], of: step.learningRate, trial: sessionTrial)
    }

    static func batch(trial t: Int, step: Int, rows: Int) -> (x: [Double], y: [Double]) {
        let x = randomValues(rows * 3, seed: UInt64(1000 * t + step))
        let y = randomValues(rows, seed: UInt64(7000 * t + step), low: 0, high: 1).map { $0 > 0.5 ? 1.0 : 0 }
        return (x, y)
    }

    @Test(arguments: [(DType.float32, CompileOptions.all), (.float64, .all), (.float32, .none)])
    func everyTrialEqualsItsTrainingAloneBitForBit(dtype: DType, options: CompileOptions) throws {
        let trials = 4, steps = 12
        let step = try Step(dtype: dtype)
        let together = try Session(graph: step.graph, options: options, trials: trials)
        let alone = try (0..<trials).map { _ in try Session(graph: step.graph, options: options) }
        for t in 0..<trials {
            try Self.setUp(together, step, trial: t, sessionTrial: t)
            try Self.setUp(alone[t], step, trial: t, sessionTrial: 0)
        }
        let groupStep = try together.makeExecutable(fetch: [step.loss], targets: step.updates)
        let aloneSteps = try alone.map { try $0.makeExecutable(fetch: [step.loss], targets: step.updates) }
        for s in 0..<steps {
            let rows = s == steps - 1 ? 5 : 8   // the last, smaller batch compiles another program
            for t in 0..<trials {
                let (x, y) = Self.batch(trial: t, step: s, rows: rows)
                try groupStep.feed(step.x, x, trial: t)
                try groupStep.feed(step.y, y, trial: t)
                try aloneSteps[t].feed(step.x, x)
                try aloneSteps[t].feed(step.y, y)
            }
            try groupStep.run()
            for t in 0..<trials {
                try aloneSteps[t].run()
                let a = try groupStep.scalar(0, trial: t), b = try aloneSteps[t].scalar(0)
                #expect(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "step \(s), trial \(t): loss \(a) together, \(b) alone")
            }
        }
        for t in 0..<trials {
            for variable in step.variables {
                let a = try together.value(of: variable, trial: t).scalars, b = try alone[t].value(of: variable).scalars
                #expect(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) },
                        "trial \(t), \(step.graph[variable].name) differs")
            }
        }
        // The trials really differ (different weights, rates and data), so equality is not trivial.
        let first = try together.value(of: step.variables[0], trial: 0).scalars, second = try together.value(of: step.variables[0], trial: 1).scalars
        #expect(first != second)
        // One program for all trials: elementwise kernels run once over every trial's values.
        let kernels = try groupStep.statistics(batchSize: 8).kernelSummaries
        #expect(kernels.contains { $0.contains("(\(trials) trials)") }, "\(kernels)")
    }

    @Test(arguments: [DType.float32, .float64])
    func oneOptimizerKernelForEveryTrialEqualsTheElementwiseUpdatesAlone(dtype: DType) throws {
        // `apply_updates` over 4 trials (each its own learning rate, weights and data) against each
        // trial alone with the update written as elementwise ops: every variable bit for bit.
        let trials = 4
        let fused = try Step(dtype: dtype, fused: true), plain = try Step(dtype: dtype)
        let together = try Session(graph: fused.graph, trials: trials)
        let alone = try (0..<trials).map { _ in try Session(graph: plain.graph) }
        for t in 0..<trials {
            try Self.setUp(together, fused, trial: t, sessionTrial: t)
            try Self.setUp(alone[t], plain, trial: t, sessionTrial: 0)
        }
        let groupStep = try together.makeExecutable(fetch: [fused.loss], targets: fused.updates)
        let aloneSteps = try alone.map { try $0.makeExecutable(fetch: [plain.loss], targets: plain.updates) }
        for s in 0..<6 {
            for t in 0..<trials {
                let (x, y) = Self.batch(trial: t, step: s, rows: 8)
                try groupStep.feed(fused.x, x, trial: t)
                try groupStep.feed(fused.y, y, trial: t)
                try aloneSteps[t].feed(plain.x, x)
                try aloneSteps[t].feed(plain.y, y)
                try aloneSteps[t].run()
            }
            try groupStep.run()
        }
        for t in 0..<trials {
            for (a, b) in zip(fused.variables, plain.variables) {
                let left = try together.value(of: a, trial: t).scalars, right = try alone[t].value(of: b).scalars
                #expect(left.map(\.bitPattern) == right.map(\.bitPattern), "trial \(t), \(fused.graph[a].name) differs")
            }
        }
        let kernels = try groupStep.statistics(batchSize: 8).kernelSummaries
        #expect(kernels.filter { $0.contains("apply_updates(sgd(momentum 0.9)) 6 parameter(s), 85 values × 4 trials") }.count == 1, "\(kernels)")
    }

    @Test func badOptimizerStepsAreRefusedNamingTheNode() throws {
        let g = Graph(dtype: .float32)
        let lr = try g.variable("lr", .scalar, initialValue: [0.1], trainable: false)
        let w = try g.variable("w", [3]), v = try g.variable("v", [3], trainable: false), other = try g.variable("other", [2])
        let gradient = try g.mul(w, g.scalar(2))
        func refusal(_ build: () throws -> NodeID) -> String {
            do { _ = try build(); return "accepted" } catch { return "\(error)" }
        }
        #expect(refusal { try g.applyUpdates(.momentum(0.9, nesterov: false), scalar: lr, [(w, gradient, [gradient])], name: "step") }
            .contains("is a mul, not a variable; only variables can be updated"))
        #expect(refusal { try g.applyUpdates(.sgd, scalar: lr, [(w, other, [])], name: "step") }.contains("must have the shape of parameter"))
        #expect(refusal { try g.applyUpdates(.sgd, scalar: w, [(w, gradient, [])], name: "step") }.contains("must be a scalar"))
        #expect(refusal { try g.applyUpdates(.momentum(0.9, nesterov: false), scalar: lr, [(w, gradient, [w])], name: "step") }
            .contains("variable \"w\" [3] is updated twice"))
        #expect(refusal { try g.applyUpdates(.momentum(.nan, nesterov: false), scalar: lr, [(w, gradient, [v])], name: "step") }
            .contains("momentum nan must be finite"))
        #expect(refusal { try g.applyUpdates(.sgd, scalar: lr, [], name: "step") }.contains("it updates 1…1048576 parameters, not 0"))
        #expect(refusal { try g.addNode(.applyUpdates(.sgd, parameters: 1 << 62), inputs: [lr], name: "huge") }.contains("not 4611686018427387904"))
        #expect(Op.applyUpdates(.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: true), parameters: .max).traits.arity == .max)
        // An assign to a variable the step updates: two writes in one run, refused when the
        // program is compiled (on the first run), and nothing is written.
        let step = try g.applyUpdates(.momentum(0.9, nesterov: false), scalar: lr, [(w, gradient, [v])], name: "step")
        let reset = try g.assign(v, g.mul(v, g.scalar(0)), name: "reset")
        let session = try Session(graph: g)
        let before = try session.value(of: w).scalars
        do {
            try session.makeExecutable(fetch: [], targets: [step, reset]).run()
            Issue.record("two writes of v in one run were accepted")
        } catch {
            #expect("\(error)".contains("variable \"v\" is assigned twice in one run"), "\(error)")
        }
        #expect(try session.value(of: w).scalars == before)
    }

    @Test func aStepReadsItsInputsAsTheyWereBeforeItWroteAny() throws {
        // Gradients and a rate that are (aliases of) parameters the same step updates: each update
        // reads them as the elementwise assigns would, from before the step, whatever the order.
        func run(fused: Bool) throws -> [[Double]] {
            let g = Graph(dtype: .float64)
            let lr = try g.variable("lr", .scalar, initialValue: [0.5])
            let a = try g.variable("a", [3], initialValue: [1, 2, 3]), b = try g.variable("b", [3], initialValue: [-1, 4, 0.5])
            let ga = try g.stopGradient(b), gb = try g.reshape(a, [3]), gLearningRate = try g.scalar(0.25)
            let targets: [NodeID]
            if fused {
                targets = [try g.applyUpdates(.sgd, scalar: lr, [(lr, gLearningRate, []), (a, ga, []), (b, gb, [])])]
            } else {
                targets = try [(lr, gLearningRate), (a, ga), (b, gb)].map { p, d in try g.assign(p, g.sub(p, g.mul(d, lr))) }
            }
            let session = try Session(graph: g)
            try session.makeExecutable(fetch: [], targets: targets).run()
            return try [lr, a, b].map { try session.value(of: $0).scalars }
        }
        let (fused, plain) = (try run(fused: true), try run(fused: false))
        #expect(fused == plain, "\(fused) against \(plain)")
        // b moved against a's old values (1, 2, 3) at the old rate 0.5.
        let expected: [Double] = [-1.5, 3, -1]
        #expect(plain[2] == expected)
    }

    @Test func aDivergingTrialLeavesItsSiblingsUntouched() throws {
        let step = try Step(dtype: .float32)
        let together = try Session(graph: step.graph, trials: 3), alone = try Session(graph: step.graph)
        for t in 0..<3 { try Self.setUp(together, step, trial: 1, sessionTrial: t) }
        try Self.setUp(alone, step, trial: 1, sessionTrial: 0)
        try together.setScalar(1e30, of: step.learningRate, trial: 2)   // diverges at once
        let groupStep = try together.makeExecutable(fetch: [step.loss], targets: step.updates)
        let aloneStep = try alone.makeExecutable(fetch: [step.loss], targets: step.updates)
        for s in 0..<6 {
            let (x, y) = Self.batch(trial: 1, step: s, rows: 8)
            for t in 0..<3 {
                try groupStep.feed(step.x, x, trial: t)
                try groupStep.feed(step.y, y, trial: t)
            }
            try aloneStep.feed(step.x, x)
            try aloneStep.feed(step.y, y)
            try groupStep.run()
            try aloneStep.run()
        }
        let diverged = try together.value(of: step.variables[0], trial: 2).scalars
        #expect(diverged.contains { !$0.isFinite })
        for t in 0..<2 {
            let a = try together.value(of: step.variables[0], trial: t).scalars, b = try alone.value(of: step.variables[0]).scalars
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "trial \(t) was disturbed by its diverging sibling")
        }
    }

    @Test func trialIndicesAndFeedsAreChecked() throws {
        let step = try Step(dtype: .float32)
        #expect(throws: RuntimeError.self) { try Session(graph: step.graph, trials: 0) }
        let session = try Session(graph: step.graph, trials: 2)
        #expect(throws: RuntimeError.self) { try session.value(of: step.variables[0], trial: 2) }
        #expect(throws: RuntimeError.self) { try session.setScalar(1, of: step.learningRate, trial: -1) }
        let executable = try session.makeExecutable(fetch: [step.loss], targets: step.updates)
        let (x, y) = Self.batch(trial: 0, step: 0, rows: 4)
        #expect(throws: RuntimeError.self) { try executable.feed(step.x, x, trial: 2) }
        try executable.feed(step.x, x, trial: 0)
        try executable.feed(step.y, y, trial: 0)
        // Trial 1 was not fed: a clear error, not trial 0's data or stale values.
        do {
            try executable.run()
            Issue.record("a run with an unfed trial went ahead")
        } catch let error as RuntimeError {
            #expect("\(error)".contains("for trial 1"), "\(error)")
        }
        try executable.feed(step.x, x, trial: 0)
        try executable.feed(step.y, y, trial: 0)
        try executable.feed(step.x, x, trial: 1)
        // Every trial of a run takes the same number of rows.
        #expect(throws: RuntimeError.self) { try executable.feed(step.y, [1.0, 0.0] as [Double], trial: 1) }
    }
}
