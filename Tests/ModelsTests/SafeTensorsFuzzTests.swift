import Foundation
import Testing
import Models

/// Hostile safetensors files: each named case, then random headers and random mutations of a real
/// file for a bounded time. Every one must decode consistently or be a `ModelError.weights` —
/// never a trap (a trap ends the test process, which fails the run).
struct SafeTensorsFuzzTests {
    /// A file with `header` as its JSON header and `dataSize` bytes of data.
    func file(_ header: String, dataSize: Int = 16) -> Data {
        var bytes = [UInt8]()
        let json = Array(header.utf8)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        return Data(bytes + json + [UInt8](repeating: 0x3f, count: dataSize))
    }

    func expectWeightsError(_ data: Data, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SafeTensors.decode(data, source: "f.safetensors")
            Issue.record("decoded a malformed file", sourceLocation: sourceLocation)
        } catch ModelError.weights(let message) {
            #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func theReportedHostileHeadersAreClearErrors() {
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#), mentioning: "negative dimension")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}"#), mentioning: "negative dimension")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}"#), mentioning: "data offsets [16, 0]")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#), mentioning: "element count overflows")
        expectWeightsError(file(#"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,16]}}"#), mentioning: "byte count overflows")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,16]}}"#), mentioning: "must be an integer")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1e300]}}"#), mentioning: "must be an integer")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[-16,0]}}"#), mentioning: "do not fit")
        expectWeightsError(file(#"{"w":{"dtype":"F32","shape":"4","data_offsets":[0,16]}}"#), mentioning: "lacks dtype, shape")
        expectWeightsError(file(#"[1,2]"#), mentioning: "no readable JSON object")
        expectWeightsError(file(#"{"__metadata__":{"a":1}}"#, dataSize: 0), mentioning: "__metadata__")
        expectWeightsError(Data([255, 255, 255, 255, 255, 255, 255, 255, 0]), mentioning: "header")
    }

    @Test func randomHeadersAndMutationsNeverTrap() throws {
        var random = SplitMix(seed: 20261201)
        let valid = try SafeTensors.encode(["a": .init(shape: [2, 3], values: (0..<6).map(Float.init)), "b": .init(shape: [4], values: [1, 2, 3, 4])],
                                           metadata: ["format": "temper"])
        let numbers = ["0", "1", "-1", "4", "16", "24", "1.5", "-0", "1e300", "9223372036854775807", "-9223372036854775808",
                       "9223372036854775808", "4294967296", "3037000500", "\"3\"", "null", "true", "[]"]
        let dtypes = ["\"F32\"", "\"F64\"", "\"I8\"", "3", "null"]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let deadline = Date().addingTimeInterval(2)
        var decoded = 0, rejected = 0
        while Date() < deadline {
            let data: Data
            if random.next() % 2 == 0 {
                // A random header from the grammar of entries.
                let entries = (0..<Int(random.next() % 3)).map { i -> String in
                    let shape = (0..<Int(random.next() % 4)).map { _ in pick(numbers) }.joined(separator: ",")
                    return "\"t\(i)\":{\"dtype\":\(pick(dtypes)),\"shape\":[\(shape)],\"data_offsets\":[\(pick(numbers)),\(pick(numbers))]}"
                }
                data = file("{" + entries.joined(separator: ",") + "}", dataSize: Int(random.next() % 40))
            } else {
                // A real file with a few bytes changed, and sometimes cut or extended.
                var bytes = [UInt8](valid)
                for _ in 0..<(1 + Int(random.next() % 4)) { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
                if random.next() % 4 == 0 { bytes.removeLast(Int(random.next() % UInt64(bytes.count))) }
                if random.next() % 4 == 0 { bytes += [UInt8](repeating: 0, count: Int(random.next() % 16)) }
                data = Data(bytes)
            }
            do {
                let (tensors, _) = try SafeTensors.decode(data)
                for (_, entry) in tensors { #expect(entry.values.count == entry.shape.reduce(1, *)) }
                decoded += 1
            } catch ModelError.weights {
                rejected += 1
            }
        }
        // Both outcomes were exercised.
        #expect(decoded > 0 && rejected > 100)
    }
}

/// A small seeded generator (SplitMix64) so the fuzzing is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
