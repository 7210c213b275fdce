import Foundation
import Testing
import Models

struct DataTests {
    @Test func csvReadsHeaderFeaturesAndTarget() throws {
        let data = try circles()
        #expect(data.count == 1000)
        #expect(data.featureNames == ["x0", "x1"])
        #expect(data.targetNames == ["label"])
        #expect(try data.x[0, 0] == 0.9278774779)
        #expect(data.y.values.allSatisfy { $0 == 0 || $0 == 1 })
        let chosen = try Dataset.csv(text: "a,b,c\n1,2,3\n4,5,6\n", target: "a")
        #expect(chosen.featureNames == ["b", "c"])
        #expect(chosen.x.values == [2, 3, 5, 6])
        #expect(chosen.y.values == [1, 4])
    }

    @Test func malformedCSVNamesTheLine() {
        #expect { try Dataset.csv(text: "a,b\n1,2\n3\n") } throws: { "\($0)".contains("line 3: 1 fields, the header has 2") }
        #expect { try Dataset.csv(text: "a,b\n1,2\n3,x\n") } throws: { "\($0)".contains("line 3, column \"b\": \"x\" is not a finite number") }
        #expect { try Dataset.csv(text: "a,b\n1,nan\n") } throws: { "\($0)".contains("line 2") }
        #expect { try Dataset.csv(text: "a,b\n1,2\n", target: "c") } throws: { "\($0)".contains("no column \"c\"") }
        #expect { try Dataset.csv(path: "/nonexistent.csv") } throws: { "\($0)".contains("cannot read /nonexistent.csv") }
    }

    @Test func generatorsAreSeededAndShaped() throws {
        let a = try Generators.circles(samples: 200, noise: 0.05, seed: 1)
        #expect(a.x.values == (try Generators.circles(samples: 200, noise: 0.05, seed: 1)).x.values)
        #expect(a.x.values != (try Generators.circles(samples: 200, noise: 0.05, seed: 2)).x.values)
        #expect(a.y.values.filter { $0 == 1 }.count == 100)
        // Without noise the inner circle has radius 0.8, the outer 1.
        let clean = try Generators.circles(samples: 100, factor: 0.5, seed: 3)
        for i in 0..<100 {
            let r = try (clean.x[i, 0] * clean.x[i, 0] + clean.x[i, 1] * clean.x[i, 1]).squareRoot()
            #expect(try Swift.abs(r - (clean.y[i, 0] == 1 ? 0.5 : 1)) < 1e-5)
        }
        let moons = try Generators.moons(samples: 50, noise: 0.1, seed: 1)
        #expect(moons.x.rows == 50 && moons.x.columns == 2)
        let blobs = try Generators.blobs(samples: 90, centers: 3, features: 4, seed: 1)
        #expect(blobs.x.columns == 4 && Set(blobs.y.values) == [0, 1, 2])
        let regression = try Generators.regression(samples: 40, features: 3, noise: 0, seed: 1)
        #expect(regression.x.columns == 3 && regression.y.columns == 1)
    }

    @Test func splitAndRowsPartitionTheData() throws {
        let data = try circles()
        let (train, test) = try data.split(testFraction: 0.25, seed: 9)
        #expect(train.count == 750 && test.count == 250)
        let all = Set(try (0..<1000).map { [try data.x[$0, 0], try data.x[$0, 1]] })
        let parts = Set(try (0..<750).map { [try train.x[$0, 0], try train.x[$0, 1]] } + (0..<250).map { [try test.x[$0, 0], try test.x[$0, 1]] })
        #expect(all == parts)
        #expect(try data.rows(500..<1000).x.values == Array(data.x.values[1000...]))
        #expect(throws: ModelError.self) { try data.split(testFraction: 1) }
    }

    @Test func scalersUseTheTrainingStatisticsOnly() throws {
        let train = try Matrix([[1, 10], [3, 10], [5, 10]])
        let scaler = StandardScaler.fitted(to: train)
        #expect(scaler.mean == [3, 10])
        let std = Float((8.0 / 3).squareRoot())
        #expect(close(try scaler.transform(try Matrix([[3, 10], [7, 12]])).values, [0, 0, Double(4 / std), 2]))
        #expect(close(try scaler.inverseTransform(try scaler.transform(train)).values, [1, 10, 3, 10, 5, 10]))
        let minmax = MinMaxScaler.fitted(to: train, range: -1...1)
        #expect(try minmax.transform(try Matrix([[1, 10], [5, 10], [3, 10]])).values == [-1, -1, 1, -1, 0, -1])
        #expect { try StandardScaler().transform(train) } throws: { "\($0)".contains("not fitted") }
        #expect { try scaler.transform(try Matrix([[1, 2, 3]])) } throws: { "\($0)".contains("fitted on 2 columns") }
    }

    @Test func oneHotEncodesClassIndices() throws {
        #expect(try oneHot(Matrix(column: [2, 0, 1])).values == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        #expect { try oneHot(Matrix(column: [0.5])) } throws: { "\($0)".contains("not a class index") }
    }
}

struct DataBoundsTests {
    @Test func rowsAndColumnsOutsideTheDataAreErrorsNotTraps() throws {
        let data = try Generators.circles(samples: 800, noise: 0.1, seed: 1)
        // The README's split on a file of 800 rows, not 1000: NumPy would clip; this says so.
        #expect { try data.rows(500..<1000) } throws: { "\($0)".contains("rows 500..<1000 asked for, but the matrix has 800 rows") }
        #expect { try data.x.rows([0, 800]) } throws: { "\($0)".contains("row 800 asked for") }
        #expect { try data.x.column(2) } throws: { "\($0)".contains("column 2 asked for, but the matrix has 2 columns") }
        #expect(try data.rows(700..<800).count == 100)
    }

    @Test func subscriptsOutsideTheMatrixAreErrorsNotTraps() throws {
        let m = try Matrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(try m[1, 2] == 6 && Array(try m[row: 1]) == [4, 5, 6])
        #expect { try m[2, 0] } throws: { "\($0)".contains("element (2, 0) asked for, but the matrix is 2×3") }
        #expect { try m[0, 3] } throws: { "\($0)".contains("element (0, 3)") }
        #expect { try m[-1, 0] } throws: { "\($0)".contains("element (-1, 0)") }
        #expect { try m[row: 2] } throws: { "\($0)".contains("row 2 asked for, but the matrix has 2 rows") }
    }
}
