import Foundation

/// What a sweep stores of its objective, so that readers of the store (`temper sweep show`, the
/// dashboard) know which metric it optimizes and which way: a sweep file's spec has it in its
/// `metric`; a Swift tuner stores `{"tuner": "swift", "metric": NAME, "goal": DIRECTION}`, and
/// other programs' sweeps (`temper lab`) any JSON object with those two string fields.
public enum StoredObjective {
    /// The spec a Swift tuner stores for `objective`.
    public static func tunerSpec(_ objective: Objective) -> String {
        let object = ["tuner": "swift", "metric": objective.name, "goal": objective.direction.rawValue]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "swift"
    }

    /// Whether `spec` is a Swift tuner's (the first tuners stored just "swift").
    static func isTunerSpec(_ spec: String) -> Bool { spec == "swift" || spec.hasPrefix("{\"goal\"") && spec.contains("\"tuner\":\"swift\"") }

    /// The objective of a sweep stored with `spec`, or nil when the spec does not say.
    public static func objective(spec: String) -> Objective? {
        if let object = try? JSONSerialization.jsonObject(with: Data(spec.utf8)) as? [String: Any], let name = object["metric"] as? String,
           let goal = (object["goal"] as? String).flatMap(Objective.Direction.init(rawValue:)) {
            return Objective(name: name, direction: goal)
        }
        return try? SweepSpec.stored(spec).objective
    }
}
