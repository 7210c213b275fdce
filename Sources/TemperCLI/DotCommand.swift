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

    @Option(help: "forward, training, optimized, or all (with --out; the default there). Printed: optimized by default.")
    var stage: String?

    @Option(help: "casestudy (the deck's 2-50-1 model with batch norm) or mlp (784-1024-1024-10).")
    var workload: String = "casestudy"

    @Option(help: "A folder to write the .dot files into.")
    var out: String?

    func run() throws {
        let example: TrainingStepGraph
        switch workload {
        case "casestudy": example = try TrainingStepGraphs.caseStudy()
        case "mlp": example = try TrainingStepGraphs.mlp()
        default: throw ValidationError("unknown workload \"\(workload)\"; use casestudy or mlp")
        }
        let stages: [DOTStages.Stage]
        let stage = self.stage ?? (out == nil ? DOTStages.Stage.optimized.rawValue : "all")
        if stage == "all" {
            stages = DOTStages.Stage.allCases
        } else if let one = DOTStages.Stage(rawValue: stage) {
            stages = [one]
        } else {
            throw ValidationError("unknown stage \"\(stage)\"; use forward, training, optimized or all")
        }
        guard let out else {
            guard stages.count == 1 else { throw ValidationError("choose one --stage to print, or give --out to write all stages") }
            print(try DOTStages.dot(example, stage: stages[0]), terminator: "")
            return
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for s in stages {
            let path = (out as NSString).appendingPathComponent("\(workload)-\(s.rawValue).dot")
            try DOTStages.dot(example, stage: s).write(toFile: path, atomically: true, encoding: .utf8)
            print("wrote \(path)")
        }
    }
}
