import Foundation

/// Reads and writes safetensors files: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": […], "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// padded with spaces to a multiple of 8), then the tensors' little-endian bytes back to back.
/// Temper writes `F32`; it reads `F32` and `F64`.
public enum SafeTensors {
    /// One tensor: shape and row-major values.
    public struct Entry: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes for `tensors` (written in name order) and optional string metadata.
    public static func encode(_ tensors: [String: Entry], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for name in tensors.keys.sorted() {
            let entry = tensors[name]!
            guard entry.values.count == entry.shape.reduce(1, *) else {
                throw ModelError.weights("tensor \"\(name)\" of shape \(entry.shape) has \(entry.values.count) values")
            }
            let begin = body.count
            for v in entry.values {
                var bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { body.append(contentsOf: $0) }
            }
            header[name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        var file = Data()
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        return file + json + body
    }

    /// The tensors and metadata of a safetensors file, checked for consistency: every malformed
    /// file (a short or oversized header, JSON that is not an object of entries, a negative or
    /// non-integer dimension, an element or byte count that overflows, offsets out of order or
    /// outside the data, tensors that overlap or leave holes) is a `ModelError.weights` naming the
    /// tensor and the values.
    public static func decode(_ data: Data, source: String = "the file") throws -> (tensors: [String: Entry], metadata: [String: String]) {
        let bytes = [UInt8](data)  // indices from 0, whatever slice `data` is
        guard bytes.count >= 8 else { throw ModelError.weights("\(source) is \(bytes.count) bytes, too short for a safetensors header") }
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard length <= 100_000_000, length <= UInt64(bytes.count - 8) else {
            throw ModelError.weights("\(source) declares a \(length)-byte header but has \(bytes.count) bytes; it is not a safetensors file")
        }
        let headerEnd = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
            throw ModelError.weights("\(source) has no readable JSON object as its header; it is not a safetensors file")
        }
        let dataSize = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var layouts: [TensorLayout] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else {
                    throw ModelError.weights("\(source): __metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            layouts.append(try TensorLayout(name: name, entry: value, dataSize: dataSize, source: source))
        }
        // Tensors must tile the data: no holes, no overlaps.
        var position = 0
        for layout in layouts.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard layout.begin == position else {
                throw ModelError.weights("\(source): tensor \"\(layout.name)\" starts at byte \(layout.begin) of the data, expected \(position) (tensors must follow each other without gaps or overlaps)")
            }
            position = layout.end
        }
        guard position == dataSize else { throw ModelError.weights("\(source): \(dataSize - position) bytes after the last tensor") }
        var tensors: [String: Entry] = [:]
        for layout in layouts {
            tensors[layout.name] = Entry(shape: layout.shape, values: layout.values(in: bytes, dataStart: headerEnd))
        }
        return (tensors, metadata)
    }
}

/// Where one tensor lies in a safetensors file, validated: non-negative integer dimensions whose
/// product (and byte count) fits an `Int`, and offsets `0 ≤ begin ≤ end ≤ data size` exactly as
/// far apart as the tensor needs.
private struct TensorLayout {
    let name: String
    let shape: [Int]
    let scalarSize: Int
    let begin: Int
    let end: Int

    init(name: String, entry: Any, dataSize: Int, source: String) throws {
        self.name = name
        guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String, let rawShape = info["shape"] as? [Any],
              let rawOffsets = info["data_offsets"] as? [Any], rawOffsets.count == 2 else {
            throw ModelError.weights("\(source): the header entry of \"\(name)\" lacks dtype, shape (a list) or data_offsets (two numbers)")
        }
        switch dtype {
        case "F32": scalarSize = 4
        case "F64": scalarSize = 8
        default: throw ModelError.weights("\(source): tensor \"\(name)\" has dtype \(dtype); Temper reads F32 and F64")
        }
        let shape = try rawShape.map { try Self.integer($0, what: "a dimension", of: name, source: source) }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelError.weights("\(source): tensor \"\(name)\" has a negative dimension in its shape \(shape)")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw ModelError.weights("\(source): tensor \"\(name)\" has shape \(shape), whose element count overflows") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: scalarSize)
        guard !overflow else { throw ModelError.weights("\(source): tensor \"\(name)\" has shape \(shape), whose byte count overflows") }
        begin = try Self.integer(rawOffsets[0], what: "a data offset", of: name, source: source)
        end = try Self.integer(rawOffsets[1], what: "a data offset", of: name, source: source)
        guard 0 <= begin, begin <= end, end <= dataSize, end - begin == byteCount else {
            throw ModelError.weights("\(source): tensor \"\(name)\" (\(dtype) \(shape), \(byteCount) bytes) has data offsets [\(begin), \(end)], which do not fit its size or the \(dataSize) bytes of data")
        }
        self.shape = shape
    }

    /// A JSON integer below 2^63 in magnitude, else an error.
    private static func integer(_ value: Any, what: String, of name: String, source: String) throws -> Int {
        guard let number = value as? NSNumber, case let double = number.doubleValue, double.isFinite, double == double.rounded(),
              double.magnitude < 9.2e18 else {
            throw ModelError.weights("\(source): tensor \"\(name)\" has \(value) as \(what); it must be an integer")
        }
        return Int(number.int64Value)
    }

    /// The tensor's values as Float32.
    func values(in bytes: [UInt8], dataStart: Int) -> [Float] {
        let count = (end - begin) / scalarSize
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                let offset = dataStart + begin + scalarSize * i
                if scalarSize == 4 {
                    return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                }
                return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
            }
        }
    }
}
