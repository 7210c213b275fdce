import Foundation

/// The README's Swift examples, for the tests that run them: a test holds an example's lines
/// verbatim (with the few it must change listed as substitutions), and `missingLines` says which
/// lines of the README's block it does not hold, so the README and the tests cannot drift apart.
public enum ReadmeBlocks {
    /// The repository's README.md.
    public static let readmePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md").path

    public struct MissingBlock: Error, CustomStringConvertible {
        public let firstLines: [String]
        public var description: String { "README.md has no ```swift block starting with \(firstLines)" }
    }

    /// The lines of the ```swift block whose first lines are `firstLines`.
    public static func block(startingWith firstLines: String..., readme: String = readmePath) throws -> [String] {
        let lines = try String(contentsOfFile: readme, encoding: .utf8).components(separatedBy: "\n")
        for (i, line) in lines.enumerated() where line == "```swift" && Array(lines[(i + 1)...].prefix(firstLines.count)) == firstLines {
            return Array(lines[(i + 1)...].prefix { $0 != "```" })
        }
        throw MissingBlock(firstLines: firstLines)
    }

    /// A line as compared: without indentation, a trailing `// comment` and surrounding blanks.
    static func normalized(_ line: String) -> String {
        var text = line
        if let comment = text.range(of: "  //") { text = String(text[..<comment.lowerBound]) }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The block's code lines (not imports, comments or blank lines) that the source file at
    /// `sourcePath` does not hold, after replacing each README line that is a key of
    /// `substitutions` by its value (what the test runs instead, and why, is the test's to say).
    public static func missingLines(of block: [String], in sourcePath: String, substitutions: [String: String] = [:]) throws -> [String] {
        let source = Set(try String(contentsOfFile: sourcePath, encoding: .utf8).components(separatedBy: "\n").map(normalized))
        let substituted = Dictionary(uniqueKeysWithValues: substitutions.map { (normalized($0.key), normalized($0.value)) })
        return block.map(normalized).filter { !$0.isEmpty && !$0.hasPrefix("import ") && !$0.hasPrefix("//") }
            .filter { !source.contains(substituted[$0] ?? $0) }
    }

    /// Substitutions that no longer match a README line (stale after a README change).
    public static func staleSubstitutions(_ substitutions: [String: String], of block: [String]) -> [String] {
        let lines = Set(block.map(normalized))
        return substitutions.keys.filter { !lines.contains(normalized($0)) }
    }
}
