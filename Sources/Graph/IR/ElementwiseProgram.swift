/// The body of a fused elementwise kernel: straight-line code over registers, one instruction per
/// register (SSA). Register `i` holds the value of instruction `i` for the current element; the
/// last instruction is the result. Inputs are broadcast (NumPy rules) to the output shape.
public struct ElementwiseProgram: Hashable, Codable, Sendable {
    public enum Instruction: Hashable, Codable, Sendable {
        /// The current element of input tensor `k` (broadcast to the output shape).
        case input(Int)
        /// A constant.
        case constant(Double)
        /// `f(register)`.
        case unary(UnaryOp, Int)
        /// `f(register, register)`.
        case binary(BinaryOp, Int, Int)
    }

    public var instructions: [Instruction]
    public var inputCount: Int

    public init(instructions: [Instruction], inputCount: Int) {
        self.instructions = instructions
        self.inputCount = inputCount
    }

    /// The op names in evaluation order, for labels (`mul, add, relu`).
    public var opNames: [String] {
        instructions.compactMap { instruction -> String? in
            switch instruction {
            case .input, .constant: return nil
            case .unary(let u, _): return u.label
            case .binary(let b, _, _): return b.name
            }
        }
    }

    /// Number of arithmetic instructions (inputs and constants excluded).
    public var opCount: Int { opNames.count }
}
