import Foundation
import Testing
import Benchmarks
import AllocationCounting
import CaseStudies
import Workloads

/// The harness itself (its figures are printed by `temper bench`, never asserted as speeds).
struct BenchmarkTests {
    @Test func peerOutputIsParsed() {
        let torch = "torch variant=after 100 epochs 544 ms; per step 340.0 us; train-only step 323.7 us; final train 0.834"
        #expect(PeerRun.number(after: "train-only step", in: torch) == 323.7)
        #expect(PeerRun.number(after: "100 epochs", in: torch) == 544)
        #expect(PeerRun.number(after: "BN batch 256:", in: "torch mlp 784-1024-1024-10 BN batch 256: 21.48 ms/step") == 21.48)
        #expect(PeerRun.number(after: "missing", in: torch) == nil)
    }

    @Test func aMissingPeerIsAClearError() {
        #expect { try PeerRun.run(python: "/nonexistent/python", script: "x.py", arguments: []) } throws: { "\($0)".contains("not an executable Python") }
    }

    @Test func allocationsOfOtherThreadsAreNotCounted() throws {
        #expect(AllocationCounter.isActive)
        let mine = AllocationCounter.count {
            let thread = Thread { for _ in 0..<100 { UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8).deallocate() } }
            thread.start()
            while !thread.isFinished { usleep(100) }
        }
        // Starting a thread allocates a little on this thread; the other thread's 100 do not count.
        #expect(mine! < 100)
        #expect(AllocationCounter.count { for _ in 0..<10 { UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8).deallocate() } } == 10)
    }

    @Test func stepBenchmarkReportsZeroAllocationsAndPlannedMemory() throws {
        #expect(AllocationCounter.isActive)
        let figures = try StepBenchmark.run(try TrainingStepGraphs.caseStudy(), steps: 50, repetitions: 2, countAllocations: AllocationCounter.count)
        // The README's test command builds in release; a debug build allocates in the standard library.
        try #require(!_isDebugAssertConfiguration(), "run the tests with -c release (the README's command)")
        #expect(figures.allocationsPerStep == 0)
        #expect(figures.arenaBytes < figures.unplannedBytes)
        #expect(figures.kernels < figures.kernelsUnoptimized)
        #expect(figures.microsecondsPerStep > 0)
    }

    @Test func theLoggingBenchmarkTimesTrackedAndUntrackedBlocksAndCleansUp() throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("temper-bench-") }
        let figures = try CaseStudyBenchmark.loggingOverhead(variants: [BatchNormVariant.after, BatchNormVariant.none], seeds: 2, epochs: 2, blocks: 2)
        #expect(figures.runsPerBlock == 4)
        #expect(figures.millisecondsWithout > 0 && figures.millisecondsWith > 0)
        #expect([figures.overheadPercent, figures.cpuOverheadPercent, figures.trainingThreadOverheadPercent].allSatisfy { $0.isFinite })
        // (CPU over all threads includes the other tests running meanwhile: only its presence is checked.)
        #expect(figures.cpuMillisecondsWith > 0 && figures.cpuMillisecondsWithout > 0)
        let after = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("temper-bench-") }
        #expect(after == before)
    }
}

