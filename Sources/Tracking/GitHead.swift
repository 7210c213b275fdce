import Foundation

/// The commit checked out in a Git working tree, read from `.git` directly (`HEAD`, loose refs,
/// `packed-refs`, worktrees' `gitdir:` and `commondir` files) rather than by starting `git`,
/// which costs tens of milliseconds per process.
enum GitHead {
    /// The 40-hex-digit commit of the repository containing `directory`, or nil outside one (or
    /// when HEAD names a branch with no commit yet).
    static func commit(from directory: String) -> String? {
        guard let gitDir = gitDirectory(containing: directory),
              let head = read(gitDir, "HEAD") else { return nil }
        guard head.hasPrefix("ref: ") else { return isCommit(head) ? head : nil }
        let ref = String(head.dropFirst(5))
        let commonDir = read(gitDir, "commondir").map { resolve($0, relativeTo: gitDir) } ?? gitDir
        for dir in [gitDir, commonDir] {
            if let loose = read(dir, ref), isCommit(loose) { return loose }
        }
        guard let packed = read(commonDir, "packed-refs") else { return nil }
        for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == ref, isCommit(String(parts[0])) { return String(parts[0]) }
        }
        return nil
    }

    /// The `.git` directory for `directory` or its nearest ancestor that has one.
    private static func gitDirectory(containing directory: String) -> String? {
        var current = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let candidate = current.appendingPathComponent(".git").path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
                if isDirectory.boolValue { return candidate }
                // A worktree or submodule: ".git" is a file saying "gitdir: <path>".
                if let link = read(current.path, ".git"), link.hasPrefix("gitdir: ") {
                    return resolve(String(link.dropFirst(8)), relativeTo: current.path)
                }
                return nil
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    private static func read(_ directory: String, _ name: String) -> String? {
        guard let text = try? String(contentsOfFile: (directory as NSString).appendingPathComponent(name), encoding: .utf8) else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func resolve(_ path: String, relativeTo base: String) -> String {
        path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    }

    private static func isCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
    }
}
