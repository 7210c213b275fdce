import Foundation
import MallocInterposerSwift

/// The thread being measured and the allocations counted on it.
nonisolated(unsafe) private var measuredThread: pthread_t?
nonisolated(unsafe) private var measuredAllocations = 0

/// Counts heap allocations (malloc, calloc, realloc, posix_memalign …) made by the calling thread
/// while `body` runs — other threads (a parallel test, OpenBLAS's workers) do not count. The
/// interposer library is linked ahead of the C library, so its `malloc` is the process's;
/// `isActive` tells whether that took effect.
public enum AllocationCounter {
    /// True when allocations are being observed (checked by allocating once while counting).
    public static let isActive: Bool = {
        measure { UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16).deallocate() } > 0
    }()

    /// Heap allocations the calling thread makes while `body` runs (nil when the interposer is not active).
    public static func count(_ body: () throws -> Void) rethrows -> Int? {
        guard isActive else {
            try body()
            return nil
        }
        return try measure(body)
    }

    private static func measure(_ body: () throws -> Void) rethrows -> Int {
        MallocInterposerSwift.initialize()
        measuredAllocations = 0
        measuredThread = pthread_self()
        MallocInterposerSwift.setAllocationHook { _ in
            if let thread = measuredThread, pthread_equal(thread, pthread_self()) != 0 { measuredAllocations += 1 }
        }
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        defer {
            MallocInterposerSwift.unhook()
            MallocInterposerSwift.setAllocationHook(nil)
            measuredThread = nil
        }
        try body()
        return measuredAllocations
    }
}
