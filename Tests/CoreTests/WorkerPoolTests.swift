import Foundation
import Testing
@testable import Kernels

/// Counters that several threads add to.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int]
    init(_ count: Int) { values = Array(repeating: 0, count: count) }
    func add(_ amount: Int, at index: Int) { lock.lock(); values[index] += amount; lock.unlock() }
    var counts: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}

/// Which thread each share of a job ran on, compared with the thread that started the job.
private final class ThreadLog: @unchecked Sendable {
    private let lock = NSLock()
    private let caller = pthread_self()
    private var onCaller: [Int: Bool] = [:]
    func record(worker: Int) {
        let here = pthread_equal(pthread_self(), caller) != 0
        lock.lock(); onCaller[worker] = here; lock.unlock()
    }
    /// Nil when the share did not run.
    func ranOnCaller(worker: Int) -> Bool? { lock.lock(); defer { lock.unlock() }; return onCaller[worker] }
}

/// The engine's worker pool (Kernels/WorkerPool.swift): every share of a job runs exactly once,
/// whatever the number of workers, in jobs back to back, nested, or from several tasks at once.
@Suite struct WorkerPoolTests {
    /// Runs `workers` shares through `Threads.concurrentPerform` and returns how often each ran.
    func counts(_ workers: Int) -> [Int] {
        let ran = Tally(workers)
        Threads.concurrentPerform(workers) { ran.add(1, at: $0) }
        return ran.counts
    }

    @Test func everyShareRunsOnceInJobsBackToBack() {
        // Growing and shrinking worker counts, and enough jobs in a row that helpers are found
        // both spinning and asleep (a pause longer than the spin between some of them).
        for (job, workers) in [2, 3, 2, 5, 1, 4, 2].enumerated() {
            for _ in 0..<200 { #expect(counts(workers) == Array(repeating: 1, count: workers)) }
            if job % 2 == 0 { Thread.sleep(forTimeInterval: 0.005) }
        }
    }

    @Test func aJobInsideAJobRunsOnDispatch() {
        let inner = Tally(3)
        Threads.concurrentPerform(3) { outer in
            Threads.concurrentPerform(3) { inner.add(outer + 1, at: $0) }
        }
        #expect(inner.counts == [6, 6, 6], "each outer share ran the inner job once")
    }

    @Test func tasksSharingThePoolEachGetTheirWork() async {
        let totals = await withTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var sum = 0
                    for _ in 0..<100 { sum += counts(task + 2).reduce(0, +) }
                    return sum
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }.sorted()
        }
        #expect(totals == [200, 300, 400, 500])
    }

    // The checks below use a pool of their own, so that no other test's kernels keep it busy.

    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2))
    func aFreePoolRunsTheSecondShareOnAHelperThread() {
        let pool = WorkerPool()
        let threads = ThreadLog()
        let ran = pool.run(2) { threads.record(worker: $0) }
        #expect(ran, "an idle pool takes a job of as many workers as there are cores")
        #expect(threads.ranOnCaller(worker: 0) == true)
        #expect(threads.ranOnCaller(worker: 1) == false, "worker 1 runs on a helper")
    }

    @Test func jobsOfNoneOneOrTooManyWorkers() {
        let pool = WorkerPool()
        let ran = Tally(1)
        #expect(pool.run(0) { _ in ran.add(1, at: 0) })
        #expect(ran.counts == [0], "no workers: nothing runs")
        let threads = ThreadLog()
        #expect(pool.run(1) { threads.record(worker: $0) })
        #expect(threads.ranOnCaller(worker: 0) == true, "one worker runs on the calling thread")
        let tooMany = ProcessInfo.processInfo.activeProcessorCount + 1
        #expect(pool.run(tooMany) { _ in ran.add(1, at: 0) } == false, "more workers than cores: Dispatch's turn")
        #expect(ran.counts == [0], "and the pool ran none of it")
    }

    /// Thousands of jobs with random pauses between them, some shorter and some longer than the
    /// helpers' spin, so that tickets meet helpers spinning, falling asleep and asleep.
    @Test(.timeLimit(.minutes(1)))
    func jobsWithRandomPausesEachRunEveryShareOnce() {
        let pool = WorkerPool()
        let workers = min(2, ProcessInfo.processInfo.activeProcessorCount)
        var generator = SystemRandomNumberGenerator()
        var wrongJobs = 0
        for _ in 0..<3_000 {
            let ran = Tally(workers)
            let taken = pool.run(workers) { ran.add(1, at: $0) }
            if !taken || ran.counts != Array(repeating: 1, count: workers) { wrongJobs += 1 }
            let pause = Double.random(in: 0...0.0004, using: &generator)
            if pause > 0.00005 { Thread.sleep(forTimeInterval: pause) }
        }
        #expect(wrongJobs == 0)
    }

    /// The pool's result is the plain loop's: a parallel product equals the single-threaded one bit for bit.
    @Test func aParallelProductEqualsTheSerialOne() {
        let (m, n, k) = (96, 160, 128)
        var state: UInt32 = 7
        func next() -> Float { state = state &* 1_664_525 &+ 1_013_904_223; return Float(state >> 8) / Float(1 << 24) - 0.5 }
        let a = (0..<m * k).map { _ in next() }, b = (0..<k * n).map { _ in next() }
        func product(_ threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            Threads.using(threads) {
                Kernels.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            }
            return c
        }
        #expect(product(2) == product(1))
        #expect(product(3) == product(1))
    }
}
