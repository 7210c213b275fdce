/// Softmax and log-softmax along one axis of a tensor viewed as `[outer, length, inner]`,
/// shifted by the maximum for stability.
enum Softmax {
    @inline(__always)
    static func run<T: TensorScalar>(log: Bool, outer: Int, length: Int, inner: Int,
                                     input: UnsafePointer<T>, output: UnsafeMutablePointer<T>) {
        for o in 0..<outer {
            for i in 0..<inner {
                let x = input + o * length * inner + i
                let y = output + o * length * inner + i
                var maximum = -T.infinity
                for j in 0..<length where x[j * inner] > maximum || x[j * inner] != x[j * inner] { maximum = x[j * inner] }
                if maximum == -T.infinity { maximum = 0 }
                var total: T = 0
                if log {
                    for j in 0..<length { total += T.exp(x[j * inner] - maximum) }
                    let shift = maximum + T.log(total)
                    for j in 0..<length { y[j * inner] = x[j * inner] - shift }
                } else {
                    for j in 0..<length {
                        let e = T.exp(x[j * inner] - maximum)
                        y[j * inner] = e
                        total += e
                    }
                    let scale = 1 / total
                    for j in 0..<length { y[j * inner] *= scale }
                }
            }
        }
    }
}
