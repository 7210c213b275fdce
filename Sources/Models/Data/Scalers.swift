/// Standardizes each column to zero mean and unit variance: `(x − mean)/std`, with the population
/// standard deviation (as scikit-learn); a constant column is only centered. Fit it on the
/// training data only, then transform every split with the same statistics.
public struct StandardScaler: Sendable, Equatable {
    public private(set) var mean: [Float] = []
    public private(set) var standardDeviation: [Float] = []

    public init() {}

    /// The scaler fitted to `data`'s columns.
    public static func fitted(to data: Matrix) -> StandardScaler {
        var scaler = StandardScaler()
        scaler.fit(data)
        return scaler
    }

    public mutating func fit(_ data: Matrix) {
        var mean = [Double](repeating: 0, count: data.columns), squares = [Double](repeating: 0, count: data.columns)
        for i in 0..<data.rows { for j in 0..<data.columns { mean[j] += Double(data.unchecked(i, j)) } }
        mean = mean.map { $0 / Double(Swift.max(data.rows, 1)) }
        for i in 0..<data.rows {
            for j in 0..<data.columns {
                let d = Double(data.unchecked(i, j)) - mean[j]
                squares[j] += d * d
            }
        }
        self.mean = mean.map(Float.init)
        standardDeviation = squares.map { let s = ($0 / Double(Swift.max(data.rows, 1))).squareRoot(); return Float(s == 0 ? 1 : s) }
    }

    public func transform(_ data: Matrix) throws -> Matrix {
        try check(data)
        var out = data
        for i in 0..<data.rows { for j in 0..<data.columns { out.values[i * data.columns + j] = (data.unchecked(i, j) - mean[j]) / standardDeviation[j] } }
        return out
    }

    public func inverseTransform(_ data: Matrix) throws -> Matrix {
        try check(data)
        var out = data
        for i in 0..<data.rows { for j in 0..<data.columns { out.values[i * data.columns + j] = data.unchecked(i, j) * standardDeviation[j] + mean[j] } }
        return out
    }

    private func check(_ data: Matrix) throws {
        guard !mean.isEmpty else { throw ModelError.notReady("the StandardScaler is not fitted; call fit on the training data first") }
        guard data.columns == mean.count else {
            throw ModelError.shapeMismatch("the StandardScaler was fitted on \(mean.count) columns, the data has \(data.columns)")
        }
    }
}

/// Scales each column linearly to `range` using the training data's minimum and maximum:
/// `lo + (x − min)/(max − min)·(hi − lo)`; a constant column maps to `lo`.
public struct MinMaxScaler: Sendable, Equatable {
    public let range: ClosedRange<Float>
    public private(set) var minimum: [Float] = []
    public private(set) var maximum: [Float] = []

    public init(range: ClosedRange<Float> = 0...1) { self.range = range }

    public static func fitted(to data: Matrix, range: ClosedRange<Float> = 0...1) -> MinMaxScaler {
        var scaler = MinMaxScaler(range: range)
        scaler.fit(data)
        return scaler
    }

    public mutating func fit(_ data: Matrix) {
        minimum = (0..<data.columns).map { j in data.uncheckedColumn(j).min() ?? 0 }
        maximum = (0..<data.columns).map { j in data.uncheckedColumn(j).max() ?? 0 }
    }

    public func transform(_ data: Matrix) throws -> Matrix {
        try check(data)
        var out = data
        let width = range.upperBound - range.lowerBound
        for i in 0..<data.rows {
            for j in 0..<data.columns {
                let span = maximum[j] - minimum[j]
                out.values[i * data.columns + j] = span == 0 ? range.lowerBound : range.lowerBound + (data.unchecked(i, j) - minimum[j]) / span * width
            }
        }
        return out
    }

    public func inverseTransform(_ data: Matrix) throws -> Matrix {
        try check(data)
        var out = data
        let width = range.upperBound - range.lowerBound
        for i in 0..<data.rows {
            for j in 0..<data.columns {
                out.values[i * data.columns + j] = (data.unchecked(i, j) - range.lowerBound) / width * (maximum[j] - minimum[j]) + minimum[j]
            }
        }
        return out
    }

    private func check(_ data: Matrix) throws {
        guard !minimum.isEmpty else { throw ModelError.notReady("the MinMaxScaler is not fitted; call fit on the training data first") }
        guard data.columns == minimum.count else {
            throw ModelError.shapeMismatch("the MinMaxScaler was fitted on \(minimum.count) columns, the data has \(data.columns)")
        }
    }
}
