import Graph

/// Which passes a session applies when it compiles (all of them by default).
public struct CompileOptions: Sendable, Equatable {
    public var passes: Set<PassName>

    public init(passes: Set<PassName> = Set(PassName.allCases)) {
        self.passes = passes
    }

    /// Every pass on.
    public static let all = CompileOptions()
    /// No pass: the plain interpreter (one kernel per node, one buffer per value).
    public static let none = CompileOptions(passes: [])

    /// These options without the named passes.
    public func disabling(_ names: PassName...) -> CompileOptions {
        CompileOptions(passes: passes.subtracting(names))
    }

    /// Parses a comma-separated list such as `dce,cse,fuse-elementwise`, `all` or `none`.
    public static func parse(_ text: String) throws -> CompileOptions {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "all" { return .all }
        if trimmed == "none" || trimmed.isEmpty { return .none }
        var passes = Set<PassName>()
        for part in trimmed.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let pass = PassName(rawValue: name) else {
                throw RuntimeError.compilation("unknown pass \"\(name)\"; known passes: \(PassName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            passes.insert(pass)
        }
        return CompileOptions(passes: passes)
    }
}

/// What compiling did: nodes and kernels before and after the passes, what each pass changed,
/// and the arena compared with one buffer per node.
public struct CompileReport: Sendable, CustomStringConvertible {
    public var nodesBefore: Int
    public var nodesAfter: Int
    public var passes: [PassRecord]
    /// Kernels and memory with no pass at all (the plain interpreter), for the same batch size.
    public var unoptimized: CompileStatistics
    /// Kernels and memory as compiled.
    public var optimized: CompileStatistics
    public var batchSize: Int

    public var description: String {
        var lines: [String] = []
        lines.append("compile report (batch \(batchSize))")
        lines.append("  nodes:   \(nodesBefore) -> \(nodesAfter)")
        lines.append("  kernels: \(unoptimized.kernelCount) -> \(optimized.kernelCount)")
        lines.append("  arena:   \(optimized.arenaBytes) bytes (one buffer per node: \(optimized.unplannedBytes) bytes; \(optimized.inPlaceCount) in place)")
        for record in passes {
            lines.append("  \(record.pass.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) nodes \(record.nodesBefore) -> \(record.nodesAfter), \(record.rewrites) rewritten")
        }
        return lines.joined(separator: "\n")
    }
}
