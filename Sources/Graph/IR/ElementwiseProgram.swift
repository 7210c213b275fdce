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

    /// `(g, y)` when the program is exactly the ReLU's backward `g · (y > 0)` (either order of the
    /// product) over inputs `g` and `y`: the input indices, for a kernel written for it.
    public var reluBackwardInputs: (gradient: Int, output: Int)? {
        guard let last = instructions.last, case .binary(.mul, let a, let b) = last, instructions.count <= 5 else { return nil }
        func input(_ register: Int) -> Int? {
            if case .input(let k) = instructions[register] { return k }
            return nil
        }
        for (maskRegister, valueRegister) in [(b, a), (a, b)] {
            guard case .binary(.compare(.greater), let y, let zero) = instructions[maskRegister],
                  case .constant(0) = instructions[zero], let output = input(y), let gradient = input(valueRegister) else { continue }
            return (gradient, output)
        }
        return nil
    }

    /// Number of arithmetic instructions (inputs and constants excluded).
    public var opCount: Int { opNames.count }
}
