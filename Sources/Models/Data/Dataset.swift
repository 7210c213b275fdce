import CSV
import Foundation
import Runtime

/// Features and labels, one sample per row, with the column names they came with.
public struct Dataset: Sendable {
    public var x: Matrix
    public var y: Matrix
    public var featureNames: [String]
    public var targetNames: [String]

    /// A dataset from matrices with the same number of rows.
    public init(x: Matrix, y: Matrix, featureNames: [String]? = nil, targetNames: [String]? = nil) throws {
        guard x.rows == y.rows else {
            throw ModelError.shapeMismatch("a dataset needs as many label rows as input rows, got \(x.rows) and \(y.rows)")
        }
        self.x = x
        self.y = y
        self.featureNames = featureNames ?? (0..<x.columns).map { "x\($0)" }
        self.targetNames = targetNames ?? (0..<y.columns).map { "y\($0)" }
    }

    /// The number of samples.
    public var count: Int { x.rows }

    /// Reads a CSV file with a header row. `target` names the label column (default: the last);
    /// every other column is a feature. Every value must be a number; a malformed row is an error
    /// naming its line.
    public static func csv(path: String, target: String? = nil) throws -> Dataset {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ModelError.data("cannot read \(path)")
        }
        return try csv(text: text, target: target, source: path)
    }

    /// Parses CSV text (see `csv(path:target:)`).
    public static func csv(text: String, target: String? = nil, source: String = "the CSV text") throws -> Dataset {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true, trimFields: true)
        } catch {
            throw ModelError.data("\(source): \(error)")
        }
        guard let header = reader.headerRow, !header.isEmpty, !(header.count == 1 && header[0].isEmpty) else {
            throw ModelError.data("\(source) has no header row")
        }
        let targetIndex: Int
        if let target {
            guard let i = header.firstIndex(of: target) else {
                throw ModelError.data("\(source) has no column \"\(target)\"; its columns are \(header.joined(separator: ", "))")
            }
            targetIndex = i
        } else {
            targetIndex = header.count - 1
        }
        guard header.count >= 2 else { throw ModelError.data("\(source) needs at least one feature column and a target column") }
        var features: [Float] = [], labels: [Float] = []
        var line = 1
        while let row = reader.next() {
            line += 1
            if row.count == 1 && row[0].isEmpty { continue }  // blank line
            guard row.count == header.count else {
                throw ModelError.data("\(source), line \(line): \(row.count) fields, the header has \(header.count)")
            }
            for (i, field) in row.enumerated() {
                guard let value = Float(field), value.isFinite else {
                    throw ModelError.data("\(source), line \(line), column \"\(header[i])\": \"\(field)\" is not a finite number")
                }
                if i == targetIndex { labels.append(value) } else { features.append(value) }
            }
        }
        if let error = reader.error { throw ModelError.data("\(source), after line \(line): \(error)") }
        guard !labels.isEmpty else { throw ModelError.data("\(source) has a header but no data rows") }
        let names = header.enumerated().filter { $0.offset != targetIndex }.map(\.element)
        return try Dataset(x: Matrix(rows: labels.count, columns: header.count - 1, values: features), y: Matrix(column: labels),
                           featureNames: names, targetNames: [header[targetIndex]])
    }

    /// Rows `range` (e.g. the deck's first 500 rows for training), within `0..<count`.
    public func rows(_ range: Range<Int>) throws -> Dataset {
        Dataset(unchecked: try x.rows(range), try y.rows(range), featureNames, targetNames)
    }

    /// A shuffled split: the first `1 − testFraction` of a seeded permutation trains, the rest tests.
    public func split(testFraction: Double, seed: UInt64 = 0) throws -> (train: Dataset, test: Dataset) {
        guard testFraction > 0, testFraction < 1 else { throw ModelError.invalidConfiguration("testFraction must be in (0, 1), got \(testFraction)") }
        var random = SeededRandom(seed: seed)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        let testCount = Int((Double(count) * testFraction).rounded())
        guard testCount > 0, testCount < count else {
            throw ModelError.invalidConfiguration("a \(testFraction) test split of \(count) rows leaves \(count - testCount) and \(testCount); both need rows")
        }
        let train = Array(order[..<(count - testCount)]), test = Array(order[(count - testCount)...])
        return (Dataset(unchecked: try x.rows(train), try y.rows(train), featureNames, targetNames),
                Dataset(unchecked: try x.rows(test), try y.rows(test), featureNames, targetNames))
    }

    init(unchecked x: Matrix, _ y: Matrix, _ featureNames: [String], _ targetNames: [String]) {
        self.x = x
        self.y = y
        self.featureNames = featureNames
        self.targetNames = targetNames
    }
}

/// One-hot encoding of integer class labels: row `i` gets a 1 in column `labels[i]`.
public func oneHot(_ labels: Matrix, classes: Int? = nil) throws -> Matrix {
    guard labels.columns == 1 else { throw ModelError.shapeMismatch("one-hot encoding takes one column of class indices, got \(labels.columns) columns") }
    let count = classes ?? (Int(labels.values.max() ?? 0) + 1)
    var values = [Float](repeating: 0, count: labels.rows * count)
    for (row, label) in labels.values.enumerated() {
        guard label >= 0, label < Float(count), label == label.rounded() else {
            throw ModelError.data("label \(label) in row \(row) is not a class index in 0..<\(count)")
        }
        values[row * count + Int(label)] = 1
    }
    return try Matrix(rows: labels.rows, columns: count, values: values)
}
