/// A dense row-major matrix of `Float`: samples in rows, features (or label columns) in columns.
/// The currency of `fit`, `evaluate`, `predict` and the data utilities.
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    /// A matrix from row-major values; the count must be `rows × columns`.
    public init(rows: Int, columns: Int, values: [Float]) throws {
        guard rows >= 0, columns >= 1, values.count == rows * columns else {
            throw ModelError.shapeMismatch("a \(rows)×\(columns) matrix needs \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A matrix from rows of equal length.
    public init(_ rows: [[Float]]) throws {
        let columns = rows.first?.count ?? 1
        for (i, row) in rows.enumerated() where row.count != columns {
            throw ModelError.shapeMismatch("row \(i) has \(row.count) values, the first row \(columns)")
        }
        try self.init(rows: rows.count, columns: columns, values: rows.flatMap { $0 })
    }

    /// A one-column matrix (labels, targets).
    public init(column: [Float]) {
        self.rows = column.count
        self.columns = 1
        self.values = column
    }

    init(uncheckedRows rows: Int, columns: Int, values: [Float]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The values of row `i` (from 0); a row outside `0..<rows` is an error naming it.
    public subscript(row i: Int) -> ArraySlice<Float> {
        get throws {
            guard (0..<rows).contains(i) else { throw ModelError.data("row \(i) asked for, but the matrix has \(rows) rows (0..<\(rows))") }
            return uncheckedRow(i)
        }
    }

    /// The element at row `i`, column `j` (from 0); an index outside the matrix is an error naming it.
    public subscript(i: Int, j: Int) -> Float {
        get throws {
            guard (0..<rows).contains(i), (0..<columns).contains(j) else {
                throw ModelError.data("element (\(i), \(j)) asked for, but the matrix is \(rows)×\(columns) (rows 0..<\(rows), columns 0..<\(columns))")
            }
            return values[i * columns + j]
        }
    }

    /// Row `i`, for `i` known to lie within `0..<rows`.
    func uncheckedRow(_ i: Int) -> ArraySlice<Float> { values[(i * columns)..<((i + 1) * columns)] }

    /// Element `(i, j)`, for indices known to lie within the matrix.
    func unchecked(_ i: Int, _ j: Int) -> Float { values[i * columns + j] }

    /// The rows at `indices`, in that order; an index outside `0..<rows` is an error.
    public func rows(_ indices: [Int]) throws -> Matrix {
        if let bad = indices.first(where: { !(0..<rows).contains($0) }) {
            throw ModelError.data("row \(bad) asked for, but the matrix has \(rows) rows (0..<\(rows))")
        }
        var out: [Float] = []
        out.reserveCapacity(indices.count * columns)
        for i in indices { out.append(contentsOf: uncheckedRow(i)) }
        return Matrix(uncheckedRows: indices.count, columns: columns, values: out)
    }

    /// Rows `range`, which must lie within `0..<rows` (unlike NumPy's slices, which clip: a
    /// smaller file than expected is an error here, not a silently shorter split).
    public func rows(_ range: Range<Int>) throws -> Matrix {
        guard range.lowerBound >= 0, range.upperBound <= rows else {
            throw ModelError.data("rows \(range.lowerBound)..<\(range.upperBound) asked for, but the matrix has \(rows) rows (0..<\(rows))")
        }
        return Matrix(uncheckedRows: range.count, columns: columns, values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// Column `j`, for `j` known to lie within `0..<columns`.
    func uncheckedColumn(_ j: Int) -> [Float] { (0..<rows).map { values[$0 * columns + j] } }

    /// Column `j` as an array; `j` must lie within `0..<columns`.
    public func column(_ j: Int) throws -> [Float] {
        guard (0..<columns).contains(j) else { throw ModelError.data("column \(j) asked for, but the matrix has \(columns) columns (0..<\(columns))") }
        return (0..<rows).map { values[$0 * columns + j] }
    }

    public var description: String { "Matrix(\(rows)×\(columns))" }
}
