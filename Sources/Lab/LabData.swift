import Foundation
import Models
import Runtime

/// The lab's data: the 8×8 digits (1797 rows, 10 classes, shipped with Temper), pixels scaled
/// from 0–16 to 0–1, split once (seed 0) into 1437 training and 360 test rows. Labels are class
/// indices (one column), for `sparseCategoricalCrossEntropy(fromLogits: true)`.
public struct LabData: Sendable {
    public let train: (x: Matrix, y: Matrix)
    public let test: (x: Matrix, y: Matrix)
    public static let classes = 10

    public static func digits() throws -> LabData {
        let url = try ShippedFiles.url(module: "Lab", path: "Resources/digits.csv")
        let data = try Dataset.csv(path: url.path, target: "digit")
        let (train, test) = try data.split(testFraction: 0.2, seed: 0)
        return LabData(train: (try scaled(train.x), train.y), test: (try scaled(test.x), test.y))
    }

    private static func scaled(_ x: Matrix) throws -> Matrix {
        try Matrix(rows: x.rows, columns: x.columns, values: x.values.map { $0 / 16 })
    }

    /// `count` rows of the training set drawn without replacement by a generator seeded with `seed`.
    public func trainingBatch(_ count: Int, seed: UInt64) throws -> (x: Matrix, y: Matrix) {
        var random = SeededRandom(seed: seed)
        var order = Array(0..<train.x.rows)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        let rows = Array(order.prefix(Swift.min(count, order.count)))
        return (try train.x.rows(rows), try train.y.rows(rows))
    }
}
