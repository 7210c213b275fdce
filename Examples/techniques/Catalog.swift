import Foundation
import Models

/// The deck's fourteen techniques as runnable experiments: each folder `NN-name/` holds a W&B
/// sweep file (`sweep.yaml`, whose first comment line is its title) over a Temper train spec
/// (`train.yaml`), shipped with Temper as resources so `temper example NAME` runs anywhere.
public enum TechniqueCatalog {
    public struct Example: Sendable, Equatable {
        /// The folder name, `01-capacity`.
        public var name: String
        /// The sweep file's first comment line.
        public var title: String
        /// The sweep file's path.
        public var sweepPath: String

        public init(name: String, title: String, sweepPath: String) {
            self.name = name
            self.title = title
            self.sweepPath = sweepPath
        }
    }

    /// Every example, in number order.
    public static func all() throws -> [Example] {
        let root = try resources()
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { $0.count > 3 && $0.prefix(2).allSatisfy(\.isNumber) && $0.dropFirst(2).first == "-" }.sorted()
        return try names.map { name in
            let path = root.appendingPathComponent(name).appendingPathComponent("sweep.yaml").path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let title = text.split(separator: "\n").first.map { $0.drop { $0 == "#" || $0 == " " } }.map(String.init) ?? name
            return Example(name: name, title: title, sweepPath: path)
        }
    }

    /// The folder of the examples: `Temper_TechniqueExamples.resources` next to the program.
    static func resources() throws -> URL {
        do {
            return try ShippedFiles.url(module: "TechniqueExamples", path: "data").deletingLastPathComponent()
        } catch {
            throw CatalogError("the technique examples are not next to the temper program: \(error)")
        }
    }

    /// The example called `name`: its folder name (`01-capacity`), the name without the number
    /// (`capacity`) or the number (`1`, `01`).
    public static func example(named name: String) throws -> Example {
        let examples = try all()
        let wanted = name.lowercased()
        if let found = examples.first(where: { $0.name == wanted || $0.name.dropFirst(3) == wanted || (Int(wanted).map { String(format: "%02d", $0) } == String($0.name.prefix(2))) }) {
            return found
        }
        throw CatalogError("no example \"\(name)\"; `temper example --list` lists them: \(examples.map(\.name).joined(separator: ", "))")
    }
}

public struct CatalogError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
