/// The scalar type of a tensor. Training runs in `float32`; gradient checks run in `float64`.
/// Both go through one generic code path in the runtime.
public enum DType: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case float32
    case float64

    /// Bytes per element: 4 for `float32`, 8 for `float64`.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        }
    }

    public var description: String { rawValue }
}
