import Foundation
import Tracking
import Yams

/// A node of a YAML spec with where it is (file, key path, line), so that every error names the
/// key and the line: `sweep.yaml:12: parameters.learn_rate.min: expected a number, got "abc"`.
struct SpecNode {
    let node: Node
    let path: String
    let source: String

    /// The document of `text` (an error names the line of a YAML syntax error).
    static func parse(_ text: String, source: String) throws -> SpecNode {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw TuningError.invalidSpec("\(source) is empty") }
            return SpecNode(node: node, path: "", source: source)
        } catch let error as TuningError {
            throw error
        } catch let error as YamlError {
            throw TuningError.invalidSpec("\(source) is not valid YAML: \(error)")
        } catch {
            throw TuningError.invalidSpec("\(source) is not valid YAML: \(error)")
        }
    }

    var line: Int { node.mark?.line ?? 0 }

    /// An error about this node: "file:line: path: message".
    func error(_ message: String) -> TuningError {
        .invalidSpec("\(source):\(line): \(path.isEmpty ? "" : path + ": ")\(message)")
    }

    func child(_ key: String, _ node: Node) -> SpecNode {
        SpecNode(node: node, path: path.isEmpty ? key : path + "." + key, source: source)
    }

    /// The entries of a mapping, in order; a key outside `known` is an error suggesting the closest.
    func mapping(known: [String]? = nil) throws -> [(key: String, value: SpecNode)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping (key: value lines), got \(kind)") }
        var entries: [(String, SpecNode)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw error("a key must be text") }
            if let known, !known.contains(key) {
                let suggestion = Self.closest(key, in: known).map { "; did you mean \($0)?" } ?? ""
                throw child(key, value).error("unknown key \"\(key)\"\(suggestion) (known here: \(known.joined(separator: ", ")))")
            }
            guard !entries.contains(where: { $0.0 == key }) else { throw child(key, value).error("\"\(key)\" is given twice") }
            entries.append((key, child(key, value)))
        }
        return entries
    }

    /// The entries of a mapping by key.
    func dictionary(known: [String]? = nil) throws -> [String: SpecNode] {
        Dictionary(try mapping(known: known).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    func list() throws -> [SpecNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, got \(kind)") }
        return sequence.enumerated().map { child("[\($0.offset)]", $0.element) }
    }

    /// A scalar's resolved type (Yams keeps the tag name to itself; its description is the tag).
    enum ScalarKind { case str, int, float, bool, null, other }

    static func kindOf(_ node: Node) -> ScalarKind {
        switch node.tag.description {
        case "tag:yaml.org,2002:str": return .str
        case "tag:yaml.org,2002:int": return .int
        case "tag:yaml.org,2002:float": return .float
        case "tag:yaml.org,2002:bool": return .bool
        case "tag:yaml.org,2002:null": return .null
        default: return .other
        }
    }

    var isNull: Bool { SpecNode.kindOf(node) == .null }

    func string() throws -> String {
        guard case .scalar = node, SpecNode.kindOf(node) == .str, let text = node.string else { throw error("expected text, got \(kind)") }
        return text
    }

    func int() throws -> Int {
        guard case .scalar = node, SpecNode.kindOf(node) == .int else { throw error("expected an integer, got \(kind)") }
        guard let value = node.int else { throw error("\(node.string ?? "") is out of range for an integer (at most \(Int.max))") }
        return value
    }

    func double() throws -> Double {
        guard case .scalar = node, SpecNode.kindOf(node) == .int || SpecNode.kindOf(node) == .float, let value = node.float else {
            throw error("expected a number, got \(kind)")
        }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar = node, SpecNode.kindOf(node) == .bool, let value = node.bool else { throw error("expected true or false, got \(kind)") }
        return value
    }

    /// The node as a configuration value (numbers, text, booleans, lists, mappings).
    func configValue() throws -> ConfigValue {
        switch node {
        case .scalar:
            switch SpecNode.kindOf(node) {
            case .int: return .int(try int())
            case .float: return .double(try double())
            case .bool: return .bool(try bool())
            case .null: throw error("a value is missing (null)")
            default: return .string(node.string ?? "")
            }
        case .sequence: return .list(try list().map { try $0.configValue() })
        case .mapping: return .dictionary(Dictionary(try mapping().map { ($0.key, try $0.value.configValue()) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// What the node is, for messages.
    var kind: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch SpecNode.kindOf(node) {
            case .int: return "the integer \(node.string ?? "")"
            case .float: return "the number \(node.string ?? "")"
            case .bool: return "\(node.string ?? "")"
            case .null: return "nothing"
            default: return "\"\(node.string ?? "")\""
            }
        }
    }

    /// The known word nearest to `word` (edit distance at most 2), for "did you mean".
    static func closest(_ word: String, in known: [String]) -> String? { Suggestion.closest(word, in: known) }
}

/// "Did you mean …" for mistyped names.
public enum Suggestion {
    /// The known word nearest to `word`, when at most two edits away (case ignored).
    public static func closest(_ word: String, in known: [String]) -> String? {
        known.map { ($0, distance(word.lowercased(), $0.lowercased())) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return Swift.max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
