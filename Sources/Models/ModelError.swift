/// Errors of the Keras-style API. Each message names the layer, the shapes or values involved,
/// and what to do.
public enum ModelError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A layer or model configuration that cannot work (unknown name, bad argument …).
    case invalidConfiguration(String)
    /// Data whose shape does not fit the model.
    case shapeMismatch(String)
    /// A model used before `compile` (or before its input shape is known).
    case notReady(String)
    /// A data file that cannot be read (with the line number).
    case data(String)
    /// A weight file that cannot be read or does not fit the model.
    case weights(String)
    /// Training produced a NaN or infinite loss.
    case nonFiniteLoss(epoch: Int, step: Int, value: Double)
    /// An error from the layers below (graph building or running).
    case engine(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): return "invalid configuration: \(m)"
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .notReady(let m): return "not ready: \(m)"
        case .data(let m): return "data error: \(m)"
        case .weights(let m): return "weights error: \(m)"
        case .nonFiniteLoss(let epoch, let step, let value):
            return "the loss became \(value.isNaN ? "nan" : String(value)) at epoch \(epoch + 1), step \(step + 1); training stopped there (lower the learning rate, clip gradients (clipping: .byNorm(1)), or scale the data; fit(allowNonFiniteLoss: true) trains on)"
        case .engine(let m): return m
        }
    }
}

/// Runs `body`, turning errors of the lower layers into `ModelError.engine` with their message.
func engine<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ModelError {
        throw error
    } catch {
        throw ModelError.engine("\(error)")
    }
}
