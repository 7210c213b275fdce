import Foundation
import Tracking

/// A W&B sweep configuration, read as W&B reads it:
///
/// ```yaml
/// program: ../train/casestudy.yaml      # a Temper train spec (trained in-process) or any script
/// method: random                        # grid, random, bayes (a Gaussian process) or tpe (Temper's)
/// metric: {name: val_accuracy, goal: maximize, target: 0.9}
/// run_cap: 20
/// parameters:
///   learn_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
///   layer_1: {values: [16, 32, 64]}
///   batchnorm: {values: [none, before, after]}
/// command: [${env}, ${interpreter}, ${program}, ${args}]
/// ```
///
/// `distribution` is inferred when omitted (`values` → categorical, integer `min`/`max` →
/// int_uniform, other numbers → uniform, `value` → constant); nested `parameters` become dotted
/// names; parameters are ordered by name at each level, as W&B orders them (a grid changes the
/// last fastest). Temper adds `project`, `seed` and `executions` (models per trial).
public struct SweepSpec: Sendable {
    /// The sweep file (for relative paths and messages).
    public let source: String
    public let text: String
    public var name: String?
    public var project: String?
    public var program: String?
    public var method: SearchMethod
    public var objective: Objective
    public var space: SearchSpace
    /// W&B's hyperband early termination, when `early_terminate` is given.
    public var earlyTermination: EarlyTermination?
    public var runCap: Int?
    public var seed: UInt64?
    public var executions: Int
    /// The command as written, or W&B's default.
    public var command: [String]
    /// Deprecated forms in the file (W&B's warnings), to show.
    public var warnings: [String] = []

    static let keys = ["program", "method", "metric", "parameters", "run_cap", "command", "early_terminate", "name", "description",
                       "project", "entity", "seed", "executions", "controller", "apiVersion", "kind"]
    public static let defaultCommand = ["${env}", "${interpreter}", "${program}", "${args}"]

    public static func load(_ path: String) throws -> SweepSpec {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TuningError.invalidSpec("cannot read \(path)") }
        return try SweepSpec(text: text, source: path)
    }

    public init(text: String, source: String) throws {
        self.text = text
        self.source = source
        let root = try SpecNode.parse(text, source: source)
        let sections = try root.dictionary(known: Self.keys)
        name = try sections["name"]?.string()
        project = try sections["project"]?.string()
        program = try sections["program"]?.string()
        guard let methodNode = sections["method"] else { throw root.error("method is required: grid, random or bayes") }
        let methodName = try methodNode.string()
        switch methodName {
        case "grid": method = .grid
        case "random": method = .random
        case "bayes": method = .bayes
        case "tpe": method = .tpe
        case "custom": throw methodNode.error("method custom is not supported; use grid, random, bayes or tpe")
        default: throw methodNode.error("unknown method \(methodName); use grid, random, bayes or tpe")
        }
        guard let metric = sections["metric"] else { throw root.error("metric is required: {name: val_accuracy, goal: maximize}") }
        objective = try Self.objective(metric)
        guard let parameters = sections["parameters"] else { throw root.error("parameters is required: the hyperparameters to sweep") }
        space = try SearchSpace(try Self.parameters(parameters, prefix: ""))
        guard !space.isEmpty else { throw parameters.error("parameters names no hyperparameter") }
        if let cap = sections["run_cap"] {
            let value = try cap.int()
            guard value > 0 else { throw cap.error("run_cap must be positive, not \(value)") }
            runCap = value
        }
        if let seedNode = sections["seed"] {
            let value = try seedNode.int()
            guard value >= 0 else { throw seedNode.error("seed must be 0 or more, not \(value)") }
            seed = UInt64(value)
        }
        executions = try sections["executions"]?.int() ?? 1
        if let node = sections["executions"], executions < 1 { throw node.error("executions must be at least 1") }
        if let early = sections["early_terminate"] {
            earlyTermination = try Self.earlyTermination(early, objective: objective)
        } else {
            earlyTermination = nil
        }
        if let commandNode = sections["command"] {
            // W&B uses only a list; a string is an easy mistake: say so.
            guard case .sequence = commandNode.node else { throw commandNode.error("command is a list, such as [${env}, ${interpreter}, ${program}, ${args}]") }
            command = try commandNode.list().map { item in
                guard case .scalar = item.node, let text = item.node.string else { throw item.error("each command item is text") }
                return text
            }
            guard !command.isEmpty else { throw commandNode.error("command is empty") }
            try CommandMacros.validate(command, at: commandNode)
        } else {
            command = Self.defaultCommand
        }
        if program == nil && command.contains("${program}") {
            throw root.error("program is required (the train spec or script a trial runs), or a command that does not use ${program}")
        }
        // A grid's size, and whether it can be enumerated, are known now.
        if method == .grid {
            for parameter in space.parameters {
                do {
                    _ = try parameter.distribution.gridValues(parameter.name)
                } catch TuningError.invalidSearch(let message) {
                    throw (Self.node(of: parameter.name, in: parameters) ?? parameters).error(message)
                }
            }
            do {
                _ = try space.gridCount()
            } catch TuningError.invalidSearch(let message) {
                throw parameters.error(message)
            }
        }
        programLine = sections["program"]?.line
        for parameter in space.parameters {
            guard let d = parameter.distribution as? WandbDistribution, [.logUniform, .qLogUniform, .invLogUniform].contains(d.kind) else { continue }
            warnings.append("\(parameter.name) uses \(d.kind.rawValue), where min/max specify base-e exponents. Use \(d.kind.rawValue)_values to specify limit values.")
        }
    }

    /// The line of `program:` (for errors about the program file).
    public private(set) var programLine: Int?

    /// The node of a (dotted) parameter name under `parameters`.
    static func node(of name: String, in parameters: SpecNode) -> SpecNode? {
        var node: SpecNode? = parameters
        for (i, part) in name.split(separator: ".").enumerated() {
            guard let current = node else { return nil }
            let level = i == 0 ? current : (try? current.dictionary()["parameters"]) ?? nil
            node = (try? level?.dictionary()[String(part)]) ?? nil
        }
        return node
    }

    /// `metric: {name, goal, target}` (goal minimize by default, as W&B).
    static func objective(_ node: SpecNode) throws -> Objective {
        let metric = try node.dictionary(known: ["name", "goal", "target", "impute", "impute_while_running"])
        guard let name = try metric["name"]?.string(), !name.isEmpty else { throw node.error("metric needs a name, such as val_accuracy") }
        let goal = try metric["goal"]?.string() ?? "minimize"
        guard let direction = Objective.Direction(rawValue: goal) else {
            throw (metric["goal"] ?? node).error("goal is minimize or maximize, not \(goal)")
        }
        // W&B's impute: Temper's Bayesian search counts a failed trial as the worst finished score.
        if let impute = metric["impute"], try impute.string() != "worst" {
            throw impute.error("impute \(try impute.string()) is not supported: Temper imputes the worst finished score for failed trials (impute: worst)")
        }
        // Running trials never count: the lag rule waits for the trials a proposal learns from.
        if let running = metric["impute_while_running"], (try? running.bool()) != false, (try? running.string()) != "false" {
            throw running.error("impute_while_running is not supported: a Bayesian proposal waits for the trials it learns from to end (remove it, or set it to false)")
        }
        return Objective(name: name, direction: direction, target: try metric["target"]?.double(), aggregation: .last)
    }

    /// The parameters of a `parameters:` mapping, sorted by name at each level, nested ones
    /// under `prefix.`.
    static func parameters(_ node: SpecNode, prefix: String) throws -> [SearchParameter] {
        var result: [SearchParameter] = []
        for (key, value) in try node.mapping().sorted(by: { $0.key < $1.key }) {
            guard let first = key.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first),
                  key.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "_-".unicodeScalars.contains($0) }) else {
                throw value.error("parameter name \"\(key)\" must start with a letter or _ and hold only letters, digits, _ and -")
            }
            let name = prefix + key
            if case .mapping = value.node, let nested = try value.dictionary()["parameters"] {
                guard try value.mapping().count == 1 else { throw value.error("a nested parameter holds only parameters:") }
                result += try parameters(nested, prefix: name + ".")
            } else {
                result.append(SearchParameter(name: name, distribution: try WandbParameter.distribution(value, name: name)))
            }
        }
        return result
    }

    /// `early_terminate:` — W&B's `{type: hyperband, min_iter | max_iter + s, eta (3), strict (true)}`,
    /// as W&B's schema fills it, and Temper's `{type: asha, min_iter (1), eta (3),
    /// min_early_stopping_rate (0), max_iter}` and `{type: async_hyperband, max_iter, min_iter (1), eta (3)}`.
    static func earlyTermination(_ node: SpecNode, objective: Objective) throws -> EarlyTermination {
        let type = try node.dictionary()["type"]?.string() ?? ""
        do {
            switch type {
            case "hyperband": return .wandbHyperband(try wandbHyperband(node, objective: objective))
            case "asha":
                let keys = try node.dictionary(known: ["type", "min_iter", "eta", "min_early_stopping_rate", "max_iter"])
                let rate = try keys["min_early_stopping_rate"].map { try wholeNumber($0, "min_early_stopping_rate must be", in: 0...64) } ?? 0
                return .asha(try ASHA(minIter: try keys["min_iter"]?.int() ?? 1, eta: try keys["eta"]?.double() ?? 3, minEarlyStoppingRate: rate,
                                      maxIter: try keys["max_iter"]?.int(), direction: objective.direction))
            case "async_hyperband":
                let keys = try node.dictionary(known: ["type", "min_iter", "max_iter", "eta"])
                guard let maxIter = try keys["max_iter"]?.int() else { throw node.error("early_terminate: async_hyperband needs max_iter (the epochs of a whole trial)") }
                let eta = try keys["eta"].map { try wholeNumber($0, "eta of async_hyperband must be", in: 2...1_000_000) } ?? 3
                return .hyperband(try AsyncHyperband(minIter: try keys["min_iter"]?.int() ?? 1, maxIter: maxIter, eta: eta, direction: objective.direction))
            default:
                throw node.error("early_terminate type must be hyperband (W&B's rule), asha or async_hyperband, not \"\(type)\"")
            }
        } catch TuningError.invalidSearch(let message) {
            throw node.error(message.hasPrefix("early_terminate: ") ? String(message.dropFirst("early_terminate: ".count)) : message)
        }
    }

    private static func wandbHyperband(_ node: SpecNode, objective: Objective) throws -> WandbHyperband {
        let keys = try node.dictionary(known: ["type", "min_iter", "max_iter", "s", "eta", "strict"])
        let eta = try keys["eta"]?.double() ?? 3
        let strict = try keys["strict"]?.bool() ?? true
        if let minIter = try keys["min_iter"]?.int() {
            return try WandbHyperband(minIter: minIter, eta: eta, strict: strict, direction: objective.direction)
        }
        guard let maxIter = try keys["max_iter"]?.int(), let s = keys["s"] else {
            throw node.error("early_terminate needs min_iter, or max_iter and s")
        }
        let steps = try wholeNumber(s, "s is the number of bands,", in: 1...64)
        return try WandbHyperband(maxIter: maxIter, s: steps, eta: eta, strict: strict, direction: objective.direction)
    }

    /// A whole number in `range` (a NaN or 1e30 would trap converting to Int).
    private static func wholeNumber(_ node: SpecNode, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        let value = try node.double()
        guard value.isFinite, value >= Double(range.lowerBound), value <= Double(range.upperBound), value == value.rounded() else {
            throw node.error("\(name) a whole number from \(range.lowerBound) to \(range.upperBound), not \(value)")
        }
        return Int(value)
    }

    /// The sweep's plan: its project, name, seed (`--seed` over the file's, else 1).
    public func plan(seed override: UInt64? = nil, defaultProject: String) throws -> SweepPlan {
        let fileName = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
        return try SweepPlan(project: project ?? defaultProject, name: name ?? fileName, method: method, space: space, objective: objective,
                             maxTrials: runCap, seed: override ?? seed ?? 1, executionsPerTrial: executions, skipsDuplicates: false,
                             spec: try storedSpec(), earlyTermination: earlyTermination)
    }

    /// What is stored with the sweep for `temper agent`: the file's text and where it was.
    func storedSpec() throws -> String {
        let stored = ["source": StoreFileless.absolute(source), "yaml": text]
        let data = try JSONSerialization.data(withJSONObject: stored, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The spec stored with a sweep (by `storedSpec`).
    public static func stored(_ json: String) throws -> SweepSpec {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String], let yaml = object["yaml"], let source = object["source"] else {
            throw TuningError.unknownSweep("this sweep was not started from a sweep file (a Swift tuner's, say); only its own program can take part in it")
        }
        return try SweepSpec(text: yaml, source: source)
    }

    /// The program's absolute path (relative to the sweep file).
    public var programPath: String? {
        guard let program else { return nil }
        if program.hasPrefix("/") { return program }
        return ((StoreFileless.absolute(source) as NSString).deletingLastPathComponent as NSString).appendingPathComponent(program)
    }

    /// The Temper train spec a trial trains in-process: the program when it is one (and the
    /// command is W&B's default or `temper train ${program} …`), else nil (a subprocess).
    public func inProcessTrainSpec() throws -> TrainSpec? {
        guard let path = programPath, path.hasSuffix(".yaml") || path.hasSuffix(".yml") else { return nil }
        let isTemperTrain = command.count >= 2 && (command[0] == "temper" || command[0].hasSuffix("/temper")) && command[1] == "train"
        guard command == Self.defaultCommand || isTemperTrain else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TuningError.invalidSpec("\(source):\(programLine ?? 0): program: \(path) does not exist (a program's path is relative to the sweep file)")
        }
        return try TrainSpec.load(path)
    }
}
