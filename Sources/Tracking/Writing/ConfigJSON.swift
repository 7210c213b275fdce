import Foundation

/// Configurations as JSON that keeps integers and reals apart: `4` is an `.int`, `4.0` a
/// `.double` (a sweep passes `--q=4.0` to its program again exactly as the first time, and a
/// config shows `3.0` as it was given). `JSONText.value` writes them so; this reads them back.
/// (`JSONDecoder` reads `4.0` as an integer when asked for one first.)
enum ConfigJSON {
    struct Malformed: Error {}

    /// The configuration in `text` (a JSON object), or nil when it is not one.
    static func config(_ text: String) -> RunConfig? {
        var parser = Parser(bytes: Array(text.utf8))
        guard let value = try? parser.value(), parser.atEnd, case .dictionary(let config) = value else { return nil }
        return config
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return index == bytes.count
            }
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func value() throws -> ConfigValue {
            skipSpace()
            guard index < bytes.count else { throw Malformed() }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            default: return try number()
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else { throw Malformed() }
            index += expected.count
        }

        mutating func object() throws -> ConfigValue {
            index += 1
            var entries: [String: ConfigValue] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .dictionary(entries) }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Malformed() }
                index += 1
                entries[key] = try value()
                skipSpace()
                guard index < bytes.count else { throw Malformed() }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { throw Malformed() }
                index += 1
                return .dictionary(entries)
            }
        }

        mutating func array() throws -> ConfigValue {
            index += 1
            var items: [ConfigValue] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
            while true {
                items.append(try value())
                skipSpace()
                guard index < bytes.count else { throw Malformed() }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "]") else { throw Malformed() }
                index += 1
                return .list(items)
            }
        }

        /// A string, its escapes decoded by `JSONSerialization` (exactly JSON's rules).
        mutating func string() throws -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Malformed() }
            let start = index
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { throw Malformed() }
            index += 1
            let quoted = Data(bytes[start..<index])
            guard let decoded = try? JSONSerialization.jsonObject(with: Data("[".utf8) + quoted + Data("]".utf8)) as? [String], let text = decoded.first else {
                throw Malformed()
            }
            return text
        }

        /// An integer when the lexeme has no fraction or exponent (and fits), else a real.
        mutating func number() throws -> ConfigValue {
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            let lexeme = String(decoding: bytes[start..<index], as: UTF8.self)
            if !lexeme.contains(where: { ".eE".contains($0) }), let integer = Int(lexeme) { return .int(integer) }
            guard let real = Double(lexeme) else { throw Malformed() }
            return .double(real)
        }
    }
}
