import Foundation
import Models

/// The deck's circles, shipped with the tests.
func circles() throws -> Dataset {
    let url = try #require(Bundle.module.url(forResource: "circles", withExtension: "csv", subdirectory: "Data"))
    return try Dataset.csv(path: url.path)
}

func close(_ a: [Float], _ b: [Double], tolerance: Double = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { Swift.abs(Double($0) - $1) <= tolerance * Swift.max(1, Swift.abs($1)) }
}

func temporaryPath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("temper-tests-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

import Testing
