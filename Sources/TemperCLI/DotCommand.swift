import ArgumentParser
import Foundation
import Workloads

struct DotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dot",
        abstract: "Write the Graphviz DOT of a built-in example (the 2-50-1 batch-norm MLP) at each stage.",
        discussion: """
        Stages: forward (model and loss), training (the whole step: gradients in orange, updates and \
        assigns in purple), optimized (after every pass: fused kernels in yellow with double borders). \
        With --out, writes <workload>-<stage>.dot files into that folder (every stage by default); \
        otherwise prints one stage (the optimized one by default). \
        Render with: dot -Tsvg casestudy-training.dot -o training.svg
        """
    )

    /// Which stages to write or print.
    enum StageChoice: String, CaseIterable, ExpressibleByArgument {
        case forward, training, optimized, all

        var stages: [DOTStages.Stage] {
            switch self {
            case .forward: return [.forward]
            case .training: return [.training]
            case .optimized: return [.optimized]
            case .all: return DOTStages.Stage.allCases
            }
        }
    }

    @Option(help: "forward, training, optimized, or all (with --out; the default there). Printed: optimized by default.")
    var stage: StageChoice?

    @Option(help: "casestudy (the deck's 2-50-1 model with batch norm) or mlp (784-1024-1024-10).")
    var workload: ExampleGraph = .casestudy

    @Option(help: "A folder to write the .dot files into.")
    var out: String?

    func run() throws {
        let example = try workload.graph()
        let stages = (stage ?? (out == nil ? .optimized : .all)).stages
        guard let out else {
            guard stages.count == 1 else { throw ValidationError("choose one --stage to print, or give --out to write all stages") }
            print(try DOTStages.dot(example, stage: stages[0]), terminator: "")
            return
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for s in stages {
            let path = (out as NSString).appendingPathComponent("\(workload.rawValue)-\(s.rawValue).dot")
            try DOTStages.dot(example, stage: s).write(toFile: path, atomically: true, encoding: .utf8)
            print("wrote \(path)")
        }
    }
}
