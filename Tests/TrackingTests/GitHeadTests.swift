import Foundation
import Testing
import ProcessSupport
@testable import Tracking

/// `GitHead` reads `.git` itself; each case is checked against what `git rev-parse HEAD` says.
struct GitHeadTests {
    /// Runs git in `directory` and returns its trimmed standard output.
    @discardableResult
    private func git(_ arguments: [String], in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=Temper Test", "-c", "user.email=test@example.com",
                             "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSupportError("git \(arguments.joined(separator: " ")) failed in \(directory)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A repository with two commits on `main`.
    private func repository(_ name: String = #function) throws -> String {
        let directory = temporaryStore(name)
        try git(["init", "-q"], in: directory)
        for content in ["one", "two"] {
            try content.write(toFile: directory + "/file.txt", atomically: true, encoding: .utf8)
            try git(["add", "file.txt"], in: directory)
            try git(["commit", "-q", "-m", content], in: directory)
        }
        return directory
    }

    @Test func aBranchWithALooseRefIsReadFromASubdirectory() throws {
        let repo = try repository()
        try FileManager.default.createDirectory(atPath: repo + "/sub/deeper", withIntermediateDirectories: true)
        let expected = try git(["rev-parse", "HEAD"], in: repo)
        #expect(GitHead.commit(from: repo) == expected)
        #expect(GitHead.commit(from: repo + "/sub/deeper") == expected)
    }

    @Test func packedRefsAreRead() throws {
        let repo = try repository()
        try git(["pack-refs", "--all", "--prune"], in: repo)
        #expect(!FileManager.default.fileExists(atPath: repo + "/.git/refs/heads/main"))
        #expect(GitHead.commit(from: repo) == (try git(["rev-parse", "HEAD"], in: repo)))
    }

    @Test func aDetachedHeadIsReadAsTheCommit() throws {
        let repo = try repository()
        try git(["checkout", "-q", "--detach", "HEAD~1"], in: repo)
        let expected = try git(["rev-parse", "HEAD"], in: repo)
        #expect(expected != (try git(["rev-parse", "main"], in: repo)))
        #expect(GitHead.commit(from: repo) == expected)
    }

    @Test func aWorktreeReadsItsOwnHead() throws {
        let repo = try repository()
        let worktree = repo + "-worktree"
        try git(["worktree", "add", "-q", "-b", "side", worktree, "HEAD~1"], in: repo)
        try "three".write(toFile: worktree + "/file.txt", atomically: true, encoding: .utf8)
        try git(["commit", "-q", "-am", "three"], in: worktree)
        let expected = try git(["rev-parse", "HEAD"], in: worktree)
        #expect(expected != (try git(["rev-parse", "HEAD"], in: repo)))
        #expect(GitHead.commit(from: worktree) == expected)
        #expect(GitHead.commit(from: repo) == (try git(["rev-parse", "HEAD"], in: repo)))
    }

    @Test func noRepositoryOrNoCommitIsNil() throws {
        let empty = temporaryStore()
        #expect(GitHead.commit(from: "/") == nil)
        try git(["init", "-q"], in: empty)
        #expect(GitHead.commit(from: empty) == nil)
    }
}
