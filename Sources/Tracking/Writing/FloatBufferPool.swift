import Foundation

/// `Float` buffers that run writers have finished with, shared by a tracker's runs: the training
/// thread fills one with an epoch's weights and gradients, the writer bins it and gives it back.
/// Once warm, logging histograms every epoch allocates nothing, and memory goes back to the
/// thread that allocated it instead of being freed on another (which costs glibc's allocator a lock).
final class FloatBufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var buffers: [[Float]] = []
    private var scalars = 0
    /// How many `take()`s got an earlier buffer back.
    private(set) var reused = 0
    /// The most scalars kept (beyond it, given-back buffers are freed).
    let capacity: Int

    init(capacity: Int = 1 << 22) {
        self.capacity = capacity
    }

    /// An empty buffer, with storage from an earlier one when there is any.
    func take() -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        guard let buffer = buffers.popLast() else { return [] }
        scalars -= buffer.capacity
        reused += 1
        return buffer
    }

    /// Keeps `given` for reuse, emptied, while the pool holds fewer than `capacity` scalars.
    /// (The buffers are consumed: emptied in place when nothing else holds them, so the same
    /// storage comes back from `take()`.)
    func give(_ given: consuming [[Float]]) {
        var given = given
        guard !given.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        while var buffer = given.popLast() {
            guard scalars + buffer.capacity <= capacity else { continue }
            buffer.removeAll(keepingCapacity: true)
            scalars += buffer.capacity
            buffers.append(buffer)
        }
    }
}
