import MallocInterposerSwift

/// Counts heap allocations (malloc, calloc, realloc, posix_memalign …) made by the process while
/// `body` runs. The interposer library is linked ahead of the C library, so its `malloc` is the
/// process's; `isActive` tells whether that took effect (if not, counts are not available).
public enum AllocationCounter {
    /// True when allocations are being observed (checked by allocating once while counting).
    public static let isActive: Bool = {
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        let probe = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        MallocInterposerSwift.unhook()
        probe.deallocate()
        return MallocInterposerSwift.getStatistics().mallocCount > 0
    }()

    /// Heap allocations made while `body` runs, or nil when counting is not active.
    public static func count(_ body: () throws -> Void) rethrows -> Int? {
        guard isActive else {
            try body()
            return nil
        }
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        defer { MallocInterposerSwift.unhook() }
        try body()
        MallocInterposerSwift.unhook()
        return MallocInterposerSwift.getStatistics().mallocCount
    }
}
