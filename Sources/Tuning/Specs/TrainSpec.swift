import Foundation
import Models
import Tracking

/// A model to train, described in YAML (`temper train spec.yaml`):
///
/// ```yaml
/// project: lesson04_bn
/// config:                      # defaults; `--key=value` and sweeps override them
///   layer_1: 50
///   learn_rate: 0.01
///   batchnorm: after
/// data:
///   csv: circles.csv           # relative to this file; header row
///   target: label              # default: the last column
///   train_rows: 500            # the first 500 rows train, the rest validate
/// model:
///   - Dense: {units: layer_1, activation: relu, kernel_initializer: he_uniform, input_shape: [2]}
///   - BatchNormalization: {when: {batchnorm: after}}
///   - Dense: {units: 1, activation: sigmoid}
/// compile:
///   optimizer: {name: sgd, learning_rate: learn_rate, momentum: 0.9}
///   loss: binary_crossentropy
///   metrics: [accuracy]
/// fit:
///   epochs: 100
///   batch_size: 32
/// ```
///
/// Any value that is text naming a config key (`units: layer_1`), or `${key}`, takes that key's
/// value. `when:` keeps a layer or callback only when config keys have the given values.
public struct TrainSpec: @unchecked Sendable {
    /// The spec file.
    public let source: String
    public let project: String
    public let name: String?
    /// The default configuration.
    public let config: RunConfig
    let data: SpecNode
    let model: SpecNode
    let compile: SpecNode
    let fit: SpecNode?
    let tracking: SpecNode?

    static let keys = ["project", "name", "config", "data", "model", "compile", "fit", "tracking"]

    /// Reads a spec file; errors name the file, the line and the key.
    public static func load(_ path: String) throws -> TrainSpec {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TuningError.invalidSpec("cannot read \(path)")
        }
        return try TrainSpec(text: text, source: path)
    }

    public init(text: String, source: String) throws {
        let root = try SpecNode.parse(text, source: source)
        let sections = try root.dictionary(known: Self.keys)
        self.source = source
        project = try sections["project"]?.string() ?? ((source as NSString).lastPathComponent as NSString).deletingPathExtension
        name = try sections["name"]?.string()
        config = try sections["config"].map { node -> RunConfig in
            guard case .dictionary(let values) = try node.configValue() else { throw node.error("config must be a mapping of keys to values") }
            return values
        } ?? [:]
        guard let data = sections["data"] else { throw root.error("the spec needs a data: section (csv, target, train_rows …)") }
        guard let model = sections["model"] else { throw root.error("the spec needs a model: section (a list of layers)") }
        guard let compile = sections["compile"] else { throw root.error("the spec needs a compile: section (optimizer, loss, metrics)") }
        self.data = data
        self.model = model
        self.compile = compile
        fit = sections["fit"]
        tracking = sections["tracking"]
        // Check what does not depend on the configuration now, not after a long run.
        _ = try self.layers(config)
        _ = try compileArguments(config)
        _ = try fitOptions(config)
    }

    /// The defaults with `overrides` applied (a dotted key reaches into a nested one); an override
    /// of a key the spec does not have is added.
    public func configuration(overrides: RunConfig) -> RunConfig {
        var merged = config
        for (key, value) in overrides { merged = Self.set(value, at: key.split(separator: ".").map(String.init)[...], in: merged) }
        return merged
    }

    private static func set(_ value: ConfigValue, at path: ArraySlice<String>, in config: RunConfig) -> RunConfig {
        var config = config
        guard let first = path.first else { return config }
        if path.count == 1 {
            // A nested value (a sweep's nested parameter) merges into a nested default.
            if case .dictionary(let inner) = value, case .dictionary(let existing)? = config[first] {
                var merged = existing
                for (k, v) in inner { merged = set(v, at: [k][...], in: merged) }
                config[first] = .dictionary(merged)
            } else {
                config[first] = value
            }
            return config
        }
        var inner: RunConfig = [:]
        if case .dictionary(let existing)? = config[first] { inner = existing }
        config[first] = .dictionary(set(value, at: path.dropFirst(), in: inner))
        return config
    }

    /// The directory the spec's relative paths start from.
    var baseDirectory: String { (StoreFileless.absolute(source) as NSString).deletingLastPathComponent }
}

/// Paths without the store (Tuning does not reach into Tracking's internals).
enum StoreFileless {
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}
