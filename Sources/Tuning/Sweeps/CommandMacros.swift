import Foundation
import Tracking

/// W&B's command macros, expanded as `wandb agent` expands them:
///
/// - `${envvar:NAME}` anywhere in an item: the variable's value (its name when unset, as W&B);
/// - whole items: `${env}` → `/usr/bin/env`; `${interpreter}` → `python` (`python3` where there is
///   no `python`); `${program}` → the program; `${args}` → `--key=value` for every parameter;
///   `${args_no_hyphens}` → `key=value`; `${args_no_boolean_flags}` → `--key=value`, but `--key`
///   for true and nothing for false; `${args_json}` → the parameters as one JSON argument;
///   `${args_json_file}` → the path of a file holding that JSON.
///
/// Values are written as Python's `str()` writes them (`True`, `[1, 2]`, `{'lr': 0.001}`, `1e-05`),
/// so scripts written for W&B read them unchanged. An unknown `${…}` is an error (W&B drops it).
public enum CommandMacros {
    static let names = ["env", "interpreter", "program", "args", "args_no_hyphens", "args_no_boolean_flags", "args_json", "args_json_file"]

    static func validate(_ command: [String], at node: SpecNode) throws {
        for item in command {
            let stripped = item.replacingOccurrences(of: #"\$\{envvar:[A-Z0-9_]*\}"#, with: "", options: .regularExpression)
            if stripped.hasPrefix("${") && stripped.hasSuffix("}") && stripped == item {
                let name = String(item.dropFirst(2).dropLast())
                guard names.contains(name) else {
                    throw node.error("unknown macro \(item); known: \(names.map { "${\($0)}" }.joined(separator: ", ")), ${envvar:NAME}")
                }
            } else if stripped.contains("${") {
                throw node.error("\(item): a macro stands alone as a list item (W&B expands only whole items), except ${envvar:NAME}")
            }
        }
    }

    /// The argument vector for a trial with parameters `config` (nested as the run config).
    public static func expand(_ command: [String], program: String?, config: RunConfig, jsonFile: String,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        let ordered = orderedParameters(config)
        var result: [String] = []
        for raw in command {
            let item = substituteEnvironment(raw, environment)
            guard item.hasPrefix("${") && item.hasSuffix("}") else {
                result.append(item)
                continue
            }
            switch String(item.dropFirst(2).dropLast()) {
            case "env": result.append("/usr/bin/env")
            case "interpreter": result.append(interpreter(environment))
            case "program": result.append(program ?? "")
            case "args": result += ordered.map { "--\($0.key)=\(python($0.value))" }
            case "args_no_hyphens": result += ordered.map { "\($0.key)=\(python($0.value))" }
            case "args_no_boolean_flags":
                for (key, value) in ordered {
                    if case .bool(let flag) = value { if flag { result.append("--\(key)") } } else { result.append("--\(key)=\(python(value))") }
                }
            case "args_json": result.append(try json(ordered))
            case "args_json_file":
                try Data(try json(ordered).utf8).write(to: URL(fileURLWithPath: jsonFile))
                result.append(jsonFile)
            default: throw TuningError.invalidSpec("unknown macro \(item)")
            }
        }
        return result
    }

    /// The top-level parameters in W&B's order: plain ones by name, then nested ones by name.
    static func orderedParameters(_ config: RunConfig) -> [(key: String, value: ConfigValue)] {
        let plain = config.filter { if case .dictionary = $0.value { return false } else { return true } }.sorted { $0.key < $1.key }
        let nested = config.filter { if case .dictionary = $0.value { return true } else { return false } }.sorted { $0.key < $1.key }
        return plain.map { ($0.key, $0.value) } + nested.map { ($0.key, $0.value) }
    }

    static func substituteEnvironment(_ item: String, _ environment: [String: String]) -> String {
        var result = item
        while let range = result.range(of: #"\$\{envvar:[A-Z0-9_]*\}"#, options: .regularExpression) {
            let name = String(result[range].dropFirst("${envvar:".count).dropLast())
            result.replaceSubrange(range, with: environment[name] ?? name)
        }
        return result
    }

    /// `python` when it is on the PATH (what W&B runs), else `python3`.
    static func interpreter(_ environment: [String: String]) -> String {
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/python") }
        return found ? "python" : "python3"
    }

    /// A value as Python's `str()` writes it.
    static func python(_ value: ConfigValue) -> String {
        switch value {
        case .int(let v): return String(v)
        case .double(let v):
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            return v.description  // Swift's shortest round-trip form is Python's repr: 0.1, 1e-05, 3.0, 1e+16
        case .string(let v): return v
        case .bool(let v): return v ? "True" : "False"
        case .list(let items): return "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
        case .dictionary: return pythonRepr(value)
        }
    }

    /// Python's `repr()` (strings quoted), for values inside lists and dictionaries.
    static func pythonRepr(_ value: ConfigValue) -> String {
        switch value {
        case .string(let v): return "'" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .dictionary(let d): return "{" + d.sorted { $0.key < $1.key }.map { "'\($0.key)': \(pythonRepr($0.value))" }.joined(separator: ", ") + "}"
        default: return python(value)
        }
    }

    /// The parameters as one JSON object (`json.dumps` separators).
    static func json(_ ordered: [(key: String, value: ConfigValue)]) throws -> String {
        "{" + ordered.map { "\(jsonString($0.key)): \(jsonValue($0.value))" }.joined(separator: ", ") + "}"
    }

    private static func jsonValue(_ value: ConfigValue) -> String {
        switch value {
        case .int(let v): return String(v)
        case .double(let v): return v.isFinite ? v.description : (v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))
        case .string(let v): return jsonString(v)
        case .bool(let v): return v ? "true" : "false"
        case .list(let items): return "[" + items.map(jsonValue).joined(separator: ", ") + "]"
        case .dictionary(let d): return "{" + d.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)): \(jsonValue($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: anything past ASCII as
    /// `\uXXXX`, surrogate pairs beyond the basic plane; `/` not escaped).
    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }
}
