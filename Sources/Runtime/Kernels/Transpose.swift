/// Axis permutation into a dense output: output axis `i` is input axis `permutation[i]`.
/// The plan (output extents and the input stride of each output axis) is made once per program.
struct TransposePlan {
    let outputDims: [Int]
    let strides: [Int]
    let total: Int
    /// Rows and columns when the permutation is a plain matrix transpose.
    let matrix: (rows: Int, columns: Int)?

    init(inputShape: [Int], permutation: [Int]) {
        let rank = inputShape.count
        var inputStrides = [Int](repeating: 1, count: rank)
        if rank >= 2 {
            for axis in stride(from: rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * inputShape[axis + 1] }
        }
        outputDims = permutation.map { inputShape[$0] }
        strides = permutation.map { inputStrides[$0] }
        total = inputShape.reduce(1, *)
        matrix = (rank == 2 && permutation == [1, 0]) ? (inputShape[0], inputShape[1]) : nil
    }
}

enum Transpose {
    @inline(__always)
    static func run<T>(_ plan: TransposePlan, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
                       coordinates: UnsafeMutablePointer<Int>) {
        if let (rows, columns) = plan.matrix {
            let block = 32
            for i0 in stride(from: 0, to: rows, by: block) {
                for j0 in stride(from: 0, to: columns, by: block) {
                    for i in i0..<Swift.min(i0 + block, rows) {
                        for j in j0..<Swift.min(j0 + block, columns) { output[j * rows + i] = input[i * columns + j] }
                    }
                }
            }
            return
        }
        let rank = plan.outputDims.count
        coordinates.update(repeating: 0, count: rank)
        var source = 0
        for i in 0..<plan.total {
            output[i] = input[source]
            var axis = rank - 1
            while axis >= 0 {
                coordinates[axis] += 1
                source += plan.strides[axis]
                if coordinates[axis] < plan.outputDims[axis] { break }
                source -= plan.strides[axis] * plan.outputDims[axis]
                coordinates[axis] = 0
                axis -= 1
            }
        }
    }
}
