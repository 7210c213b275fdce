import Foundation
import Testing
import Graph
import Workloads

/// The DOT dump of the built-in example is stable (golden files, reviewed by hand) and renders
/// without warnings. After an intended change, regenerate them explicitly and review the diff:
/// `TEMPER_UPDATE_GOLDEN=1 swift test -c release -Xswiftc -enable-testing --filter DOTTests`
/// (that run writes the files and fails, so that it is never mistaken for a passing one).
struct DOTTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["TEMPER_UPDATE_GOLDEN"] == "1"

    static func golden(_ stage: DOTStages.Stage) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "casestudy-\(stage.rawValue)", withExtension: "dot", subdirectory: "Golden"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test(arguments: DOTStages.Stage.allCases)
    func exampleMatchesGoldenFile(stage: DOTStages.Stage) throws {
        let dot = try DOTStages.dot(try TrainingStepGraphs.caseStudy(), stage: stage)
        if Self.updating {
            try dot.write(to: Self.goldenDirectory.appendingPathComponent("casestudy-\(stage.rawValue).dot"), atomically: true, encoding: .utf8)
            Issue.record("wrote Golden/casestudy-\(stage.rawValue).dot: review the diff, then run the tests without TEMPER_UPDATE_GOLDEN")
            return
        }
        #expect(dot == (try Self.golden(stage)))
    }

    @Test(arguments: DOTStages.Stage.allCases)
    func exampleRendersWithoutWarnings(stage: DOTStages.Stage) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["dot", "-Tsvg"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(try DOTStages.dot(try TrainingStepGraphs.caseStudy(), stage: stage).utf8))
        try input.fileHandleForWriting.close()
        let svg = output.fileHandleForReading.readDataToEndOfFile()
        let warnings = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "graphviz `dot` must be installed (the README's test command installs it)")
        #expect(warnings.isEmpty, "dot printed: \(warnings)")
        #expect(String(decoding: svg, as: UTF8.self).contains("<svg"))
    }

    @Test func stylesTellNodeKindsApart() throws {
        let dot = try DOTStages.dot(try TrainingStepGraphs.caseStudy(), stage: .training)
        // Inputs, variables, gradient nodes, assigns: each its own fill.
        #expect(dot.contains("label=\"{x|placeholder|[?, 2]}\", style=\"filled,rounded\", fillcolor=\"#cfe2ff\""))
        #expect(dot.contains("{dense/kernel|variable|[2, 50]}\", style=\"filled\", fillcolor=\"#c8ecc9\""))
        #expect(dot.contains("fillcolor=\"#ffe0c2\""))
        #expect(dot.contains("{batch_normalization/moving_mean/assign|assign|[50]}\", style=\"filled,bold\", fillcolor=\"#e4d7f5\""))
        #expect(dot.contains("label=\"writes\""))
        let optimized = try DOTStages.dot(try TrainingStepGraphs.caseStudy(), stage: .optimized)
        // A fused node lists what it contains and has a double border.
        #expect(optimized.contains("{dense/relu|gemm_epilogue|matmul + bias → relu|[?, 50]}"))
        #expect(optimized.contains("peripheries=2"))
    }

    @Test func recordFieldsAreEscaped() throws {
        let g = Graph()
        _ = try g.placeholder("odd {name} | <x>", [2])
        let dot = g.dot(title: "a \"quoted\" title")
        #expect(dot.contains("label=\"{odd \\{name\\} \\| \\<x\\>|placeholder|[2]}\""))
        #expect(dot.contains("digraph \"a \\\"quoted\\\" title\""))
    }
}
