import Charts
/// A compact JSON writer for the rows the run writer stores (history and histogram objects): bytes
/// appended directly, no intermediate `Encodable` values, since it runs for every logged step.
///
/// Numbers are written in Swift's shortest round-tripping form; JSON has no NaN or infinities, so
/// non-finite values are written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (what
/// `JSONStoredNumber.decode` reads back).
struct JSONText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ character: Unicode.Scalar) { bytes.append(UInt8(ascii: character)) }

    /// Text written as is (already valid JSON).
    mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string, escaped (quotes, backslashes and control characters).
    mutating func string(_ value: String) {
        raw("\"")
        // Names are nearly always plain: append them whole when nothing needs escaping.
        let appendedWhole = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if appendedWhole == true {
            raw("\"")
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        raw("\"")
    }

    mutating func number(_ value: Double) {
        if value.isNaN {
            string("NaN")
        } else if value.isInfinite {
            string(value > 0 ? "Infinity" : "-Infinity")
        } else if value == value.rounded(), Swift.abs(value) < 1e15 {
            integer(Int(value))
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    mutating func integer(_ value: Int) {
        // At most 20 digits and a sign, written backwards into a scratch tuple, then appended.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var n = value.magnitude, position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: n % 10)
                n /= 10
            } while n > 0
            if value < 0 {
                position -= 1
                buffer[position] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// `[1,0,12]` — written straight into the buffer (histogram counts: the bulk of what is logged).
    mutating func integers(_ values: [Int]) {
        let start = bytes.count
        // Room for the widest case (20 digits, a sign and a comma each), trimmed afterwards.
        bytes.append(contentsOf: repeatElement(0, count: values.count * 22 + 2))
        let used = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            var position = start
            buffer[position] = UInt8(ascii: "[")
            position += 1
            for (i, value) in values.enumerated() {
                if i > 0 {
                    buffer[position] = UInt8(ascii: ",")
                    position += 1
                }
                if value >= 0 && value < 10 {  // most counts of a histogram
                    buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
                    position += 1
                    continue
                }
                if value < 0 {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                var n = value.magnitude, digits = 1
                while n >= 10 { n /= 10; digits += 1 }
                n = value.magnitude
                for k in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[position + k] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: n % 10)
                    n /= 10
                }
                position += digits
            }
            buffer[position] = UInt8(ascii: "]")
            return position + 1 - start
        }
        bytes.removeLast(bytes.count - start - used)
    }
}

extension JSONText {
    /// A configuration value, keys sorted (what `JSONEncoder` with `.sortedKeys` writes, without its
    /// cost: a sweep writes a configuration for every trial it claims).
    mutating func value(_ value: ConfigValue) {
        switch value {
        case .int(let v): integer(v)
        case .double(let v):
            // A whole real keeps its ".0", so that it reads back as a real (ConfigJSON).
            if v.isFinite, v == v.rounded(), v.magnitude < 1e15 {
                integer(Int(v))
                literal(".0")
            } else {
                number(v)
            }
        case .string(let v): string(v)
        case .bool(let v): v ? literal("true") : literal("false")
        case .list(let items):
            raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { raw(",") }
                self.value(item)
            }
            raw("]")
        case .dictionary(let entries):
            raw("{")
            for (i, (key, item)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { raw(",") }
                string(key)
                raw(":")
                self.value(item)
            }
            raw("}")
        }
    }

    /// `config` as a JSON object.
    static func config(_ config: RunConfig) -> String {
        var json = JSONText(capacity: 32 * config.count + 2)
        json.value(.dictionary(config))
        return json.text
    }
}

/// A number written by `JSONText.number`, read back exactly: `JSONDecoder` parses doubles to the
/// nearest value (Foundation's `JSONSerialization` on Linux is off by an ulp about half the time).
struct JSONStoredNumber: Decodable {
    let value: Double

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
            return
        }
        switch try container.decode(String.self) {
        case "NaN": value = .nan
        case "Infinity": value = .infinity
        case "-Infinity": value = -.infinity
        case let text: throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a number")
        }
    }
}

/// A histogram as `PreparedRows` writes it: equal-width bins from `low` to `high`, and the
/// counts of NaN, +infinity and −infinity values when there were any.
struct JSONStoredHistogram: Decodable {
    let low: JSONStoredNumber
    let high: JSONStoredNumber
    let counts: [Int]
    let nan: Int?
    let inf: Int?
    let negativeInfinity: Int?

    private enum CodingKeys: String, CodingKey {
        case low, high, counts, nan, inf
        case negativeInfinity = "-inf"
    }

    /// Counts as stored; a negative one (only a damaged or hand-made row has them) reads as 0.
    var nonFinite: NonFiniteCounts {
        NonFiniteCounts(nan: Swift.max(nan ?? 0, 0), positiveInfinity: Swift.max(inf ?? 0, 0), negativeInfinity: Swift.max(negativeInfinity ?? 0, 0))
    }

    var binCounts: [Int] { counts.map { Swift.max($0, 0) } }
}
