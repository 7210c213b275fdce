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

    /// The tensors and metadata of a safetensors file, checked for consistency.
    public static func decode(_ data: Data, source: String = "the file") throws -> (tensors: [String: Entry], metadata: [String: String]) {
        guard data.count >= 8 else { throw ModelError.weights("\(source) is \(data.count) bytes, too short for a safetensors header") }
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard length <= 100_000_000, 8 + Int(length) <= data.count else {
            throw ModelError.weights("\(source) declares a \(length)-byte header but has \(data.count) bytes; it is not a safetensors file")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(length)))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw ModelError.weights("\(source) has no readable JSON header; it is not a safetensors file")
        }
        let buffer = data.subdata(in: (8 + Int(length))..<data.count)
        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String, let shape = info["shape"] as? [Int],
                  let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw ModelError.weights("\(source): the header entry of \"\(name)\" lacks dtype, shape or data_offsets")
            }
            let count = shape.reduce(1, *)
            let size: Int
            switch dtype {
            case "F32": size = 4
            case "F64": size = 8
            default: throw ModelError.weights("\(source): tensor \"\(name)\" has dtype \(dtype); Temper reads F32 and F64")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end <= buffer.count, end - begin == count * size else {
                throw ModelError.weights("\(source): tensor \"\(name)\" (\(dtype) \(shape)) has data offsets [\(begin), \(end)] that do not fit its size or the file")
            }
            ranges.append((begin, end, name))
            var values = [Float](repeating: 0, count: count)
            buffer.withUnsafeBytes { raw in
                for i in 0..<count {
                    if size == 4 {
                        values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: begin + 4 * i, as: UInt32.self)))
                    } else {
                        values[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: begin + 8 * i, as: UInt64.self))))
                    }
                }
            }
            tensors[name] = Entry(shape: shape, values: values)
        }
        // Tensors must tile the buffer: no holes, no overlaps.
        var position = 0
        for (begin, end, name) in ranges.sorted(by: { $0.0 < $1.0 }) {
            guard begin == position else { throw ModelError.weights("\(source): tensor \"\(name)\" starts at byte \(begin) of the data, expected \(position)") }
            position = end
        }
        guard position == buffer.count else { throw ModelError.weights("\(source): \(buffer.count - position) bytes after the last tensor") }
        return (tensors, metadata)
    }
}
