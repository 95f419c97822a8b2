import CKernels
import Foundation
import Synchronization

/// Helper threads that stay awake for a moment between jobs, for the engine's parallel loops.
///
/// Why: a ResNet-18 training step hands work to the cores about 1,600 times (every convolution,
/// BatchNorm and elementwise pass). Dispatch's workers went to sleep between those hand-offs, so
/// each paid a wake-up: a futex call and a context switch (1,600 of each per step, measured with
/// `perf stat`). A helper here waits for the next job by spinning for `spinSeconds` first, so the
/// back-to-back jobs of a step find it awake; after that long without work it sleeps until woken.
///
/// One job runs at a time. A call made while the pool is busy (from a helper, or from a second
/// task running kernels at the same time), or one asking for more workers than there are cores,
/// returns false and the caller uses Dispatch instead.
/// Worker `i` of a job always runs `body(i)`, whichever thread it is on, so results do not depend
/// on the pool.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle helper keeps spinning before it sleeps.
    private static let spinSeconds = 0.0002

    private final class Helper: Sendable {
        let index: Int
        /// Bumped by the caller to hand this helper a job; the helper runs one per new value.
        let ticket = Atomic<Int>(0)
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        init(index: Int) { self.index = index }
    }

    private let busy = Atomic<Bool>(false)
    /// Helpers that have not finished the current job.
    private let unfinished = Atomic<Int>(0)
    // Written by the caller before it hands out tickets, read by the helpers it handed them to.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var helpers: [Helper] = []

    /// More workers than cores would leave spinning helpers competing with the ones doing the work:
    /// such jobs go to Dispatch, whose idle threads sleep.
    private static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body(0..<workers)` in parallel, `body(0)` on the calling thread, and returns when all
    /// have; or returns false at once, having run nothing, when another job holds the pool or the
    /// job asks for more workers than the machine has cores.
    func run(_ workers: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 1 else {
            if workers == 1 { body(0) }
            return true
        }
        guard workers <= Self.cores else { return false }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while helpers.count < workers - 1 { startHelper() }
        withoutActuallyEscaping(body) { body in
            job = body
            unfinished.store(workers - 1, ordering: .sequentiallyConsistent)
            for helper in helpers.prefix(workers - 1) {
                helper.ticket.wrappingAdd(1, ordering: .sequentiallyConsistent)
                if helper.sleeping.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.signal() }
            }
            body(0)
            waitForHelpers()
            job = nil
        }
        return true
    }

    /// Spins while the helpers finish (they are running, so this is short); on a machine busy
    /// with other work, gives the core away between checks after a while.
    private func waitForHelpers() {
        var spins = 0
        while unfinished.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins < 20_000 { ck_spin_pause() } else { sched_yield() }
        }
    }

    private func startHelper() {
        let helper = Helper(index: helpers.count + 1)
        helpers.append(helper)
        let pool = UncheckedSendable(self)
        Thread.detachNewThread { pool.value.serve(helper) }
    }

    /// A helper's life: wait for a ticket, run its share of the job, repeat.
    private func serve(_ helper: Helper) {
        var seen = 0
        while true {
            seen = nextTicket(after: seen, helper)
            job?(helper.index)
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    /// Waits until the helper's ticket moves past `seen`: spinning first, then asleep until a
    /// caller clears `sleeping` and signals.
    private func nextTicket(after seen: Int, _ helper: Helper) -> Int {
        var spinUntil = DispatchTime.now().uptimeNanoseconds + UInt64(Self.spinSeconds * 1e9)
        var spins = 0
        while true {
            let current = helper.ticket.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            if spins % 64 != 0 || DispatchTime.now().uptimeNanoseconds < spinUntil {
                ck_spin_pause()
                continue
            }
            helper.sleeping.store(true, ordering: .sequentiallyConsistent)
            if helper.ticket.load(ordering: .sequentiallyConsistent) == seen {
                helper.wake.wait()                 // the caller cleared `sleeping` and signalled
            } else if !helper.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                helper.wake.wait()                 // the caller cleared it first: take its signal
            }
            spinUntil = DispatchTime.now().uptimeNanoseconds + UInt64(Self.spinSeconds * 1e9)
        }
    }
}
