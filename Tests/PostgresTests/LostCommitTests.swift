import Foundation
import ProcessSupport
import Testing
import Tracking
import TrackingPostgres

/// A write whose COMMIT reached the server but whose answer was lost is not written twice.
@Suite struct LostCommitTests {
    init() { PostgresEngine.register() }

    @Test func aCommitWhoseAnswerIsLostIsNotAppliedTwice() throws {
        let server = try TestPostgres.shared()
        let url = try server.database()
        let proxy = try CommitCuttingProxy(to: server.port)
        defer { proxy.stop() }
        let through = url.replacingOccurrences(of: ":\(server.port)/", with: ":\(proxy.port)/")
        let store = try RunStore(location: through)
        // The next COMMIT is passed on, then the connection is cut before the answer comes back.
        proxy.cutAfterNextCommit()
        let sweep = try store.createSweep(project: "p", name: "once", method: "grid", spec: "{}", seed: 1, specHash: "h")
        #expect(proxy.cuts == 1, "the proxy cut no commit: the test did not exercise a lost answer")
        let direct = try RunStore(location: url, access: .readOnly)
        #expect(try direct.sweeps().map(\.id) == [sweep.id])
        // A run's rows likewise: each step once, summaries counted once.
        let tracker = Tracker(store: store, systemMetricsInterval: nil)
        let run = try tracker.start(project: "p", name: "r")
        try run.flush()
        proxy.cutAfterNextCommit()
        for step in 0..<10 { run.log(["loss": Double(step)], step: step) }
        try run.finish()
        #expect(proxy.cuts == 2)
        let rows = try direct.engine.read { db in try db.fetch("SELECT count(*) AS n FROM history", []).first?.int("n") }
        let count = try direct.run(run.id).summary["loss"]?.count
        #expect(rows == 10 && count == 10, "\(rows ?? -1) history rows, summary count \(count ?? -1)")
    }
}

/// A TCP proxy to a local port that can cut a connection right after passing on a COMMIT.
final class CommitCuttingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let target: Int
    private let lock = NSLock()
    private var armed = false
    private var cutCount = 0
    private var stopped = false

    var cuts: Int { lock.withLock { cutCount } }

    init(to target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ready else { throw TestSupportError("the proxy cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    func cutAfterNextCommit() { lock.withLock { armed = true } }

    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: UInt16(target))
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            guard connected else { close(client); close(upstream); continue }
            let pair = Pair()
            Thread { [self] in pump(from: client, to: upstream, watching: true, pair: pair) }.start()
            Thread { [self] in pump(from: upstream, to: client, watching: false, pair: pair) }.start()
        }
    }

    /// A connection's two directions; once cut, nothing more goes back to the client.
    final class Pair: @unchecked Sendable {
        private let lock = NSLock()
        private var isCut = false
        var cut: Bool {
            get { lock.withLock { isCut } }
            set { lock.withLock { isCut = newValue } }
        }
    }

    /// Copies bytes one way; on the client's side, a COMMIT while armed is passed on, then both
    /// sockets are shut (after a pause that lets the server commit) so its answer never arrives.
    private func pump(from source: Int32, to destination: Int32, watching: Bool, pair: Pair) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(source, &buffer, buffer.count)
            guard count > 0, !(pair.cut && !watching) else { break }
            let cutting = watching && lock.withLock({ armed }) && Self.contains(buffer[..<count], "COMMIT")
            if cutting {
                lock.withLock { armed = false; cutCount += 1 }
                pair.cut = true  // before the server can answer
            }
            guard write(destination, buffer, count) == count else { break }
            if cutting {
                Thread.sleep(forTimeInterval: 0.3)
                break
            }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }

    private static func contains(_ bytes: ArraySlice<UInt8>, _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        var index = bytes.startIndex
        while index + needle.count <= bytes.endIndex {
            if bytes[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
