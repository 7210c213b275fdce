import ArgumentParser
import Foundation
import Models
import Runtime
import Tracking
import Tuning
import Yams

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one model described in a YAML spec (config defaults, data, model, compile, fit) and log it as a run.",
        discussion: """
        Override config keys after the spec: temper train spec.yaml --learn_rate=0.1 --layer_1 20 (values are read as \
        YAML: 0.1 is a number, true a boolean; a dotted key such as --optimizer.momentum=0.5 reaches a nested config key). \
        A key the spec's config does not have is an error (a typo would otherwise train with the default), unless \
        --new-keys. A spec value that names a config key takes its value. Example: Examples/train/casestudy.yaml.
        """
    )

    @Argument(help: "The train spec (YAML).") var spec: String
    @Option(name: [.customLong("store"), .customLong("dir")], help: "The run store: a directory, or a postgres://user:password@host:port/database URL (default: $TEMPER_STORE, else $TEMPER_DIR, else ./temper-runs).") var dir: String?
    @Flag(help: "Do not log the run.") var noTrack = false
    @Option(help: "The run's name (default: the spec's name, else generated).") var name: String?
    @Option(help: "Threads for OpenBLAS.") var threads: Int = 1
    @Flag(help: "Print no progress.") var quiet = false
    @Flag(help: "Allow overrides of keys the spec's config does not have (added to the run's config).") var newKeys = false
    @Argument(parsing: .allUnrecognized, help: "Config overrides: --key=value or --key value.") var overrides: [String] = []

    func run() throws {
        try checkThreads(threads)
        let spec = try TrainSpec.load(self.spec)
        let overrides = try ConfigOverrides.parse(self.overrides)
        if !newKeys { try ConfigOverrides.checkKnown(overrides, in: spec) }
        let config = spec.configuration(overrides: overrides)
        BLAS.setThreads(threads)
        let data = try spec.data(config)
        let model = try spec.model(config)
        if !quiet {
            print(try model.summary())
        }
        var callbacks: [Callback] = []
        var run: Run?
        var tracker: Tracker?
        if !noTrack {
            let opened = try Tracker(dir: dir)
            tracker = opened
            let started = try opened.start(project: spec.project, name: name ?? spec.name, config: config)
            run = started
            callbacks.append(TrackingCallback(started, logWeights: try spec.logsHistograms(config), logGradients: try spec.logsHistograms(config)))
        }
        let history = try spec.fit(model, data: data, config: config, callbacks: callbacks, verbose: quiet ? 0 : 1)
        if let tracker, let run {
            try tracker.waitUntilWritten()
            let last = history.keys.compactMap { key in history.values(of: key)?.last.map { "\(key) \(String(format: "%.4f", $0))" } }
            print("\nlogged run \(TerminalText.visible(run.name)) (\(run.id)) to \(TerminalText.visible(tracker.store.path)): " + last.joined(separator: ", "))
        }
    }
}

/// `--key=value` and `--key value` arguments as config overrides, values read as YAML scalars.
enum ConfigOverrides {
    static func parse(_ arguments: [String]) throws -> RunConfig {
        var config: RunConfig = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ValidationError("unexpected argument \"\(argument)\"; config overrides look like --key=value")
            }
            let body = argument.dropFirst(2)
            let key: String, text: String
            if let equals = body.firstIndex(of: "=") {
                key = String(body[..<equals])
                text = String(body[body.index(after: equals)...])
            } else {
                guard index + 1 < arguments.count else { throw ValidationError("--\(body) needs a value: --\(body)=value") }
                key = String(body)
                text = arguments[index + 1]
                index += 1
            }
            guard !key.isEmpty else { throw ValidationError("\"\(argument)\" names no config key") }
            config[key] = try value(text, key: key)
            index += 1
        }
        return config
    }

    /// Every overridden key must be one of the spec's config keys (dotted for nested ones).
    static func checkKnown(_ overrides: RunConfig, in spec: TrainSpec) throws {
        let known = spec.config.flattened.map(\.key)
        for key in overrides.keys.sorted() where !known.contains(key) {
            let near = Suggestion.closest(key, in: known)
            throw ValidationError("--\(key) is not a config key of \(spec.source)" + (near.map { "; did you mean --\($0)?" } ?? "")
                                  + " (keys: \(known.joined(separator: ", "))); --new-keys adds keys")
        }
    }

    /// A YAML scalar: numbers, booleans, text (a list or mapping in flow style too).
    static func value(_ text: String, key: String) throws -> ConfigValue {
        guard let node = try? Yams.compose(yaml: text) else { return .string(text) }
        return (try? ConfigValue(yaml: node)) ?? .string(text)
    }
}

extension ConfigValue {
    /// A YAML node as a config value.
    init(yaml node: Node) throws {
        switch node {
        case .scalar:
            if let int = node.int, node.tag.description.hasSuffix(":int") { self = .int(int) }
            else if let double = node.float, node.tag.description.hasSuffix(":float") { self = .double(double) }
            else if let bool = node.bool, node.tag.description.hasSuffix(":bool") { self = .bool(bool) }
            else { self = .string(node.string ?? "") }
        case .sequence(let items): self = .list(try items.map { try ConfigValue(yaml: $0) })
        case .mapping(let mapping):
            var values: [String: ConfigValue] = [:]
            for (key, value) in mapping { values[key.string ?? ""] = try ConfigValue(yaml: value) }
            self = .dictionary(values)
        }
    }
}
