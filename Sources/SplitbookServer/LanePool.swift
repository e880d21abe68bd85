import Foundation
import NIOCore
import SplitbookEngine

/// The running copies ("lanes") of one endpoint's chain. A request goes to
/// an idle lane. When none is idle, a fast handler's request is pipelined to
/// the least busy lane (up to `maxInflight` each); a slow handler's waits here
/// for the first lane to free instead of queueing inside one busy worker
/// while another may free first (late binding), until as many wait as there
/// are lanes: then it is pipelined too, so no worker idles under saturation.
/// Beyond that a bounded queue, then 503. A chain that batches never binds
/// late (its workers need requests to fill batches). docs/DECISIONS.md has
/// the measurements. A lane whose worker crashed or timed out is replaced in
/// the background: no request waits for that. The state sits behind one
/// lock, held only to count, never across a wait.
final class LanePool: @unchecked Sendable {
    enum Failure: Error {
        /// Every lane is full and the queue is full.
        case overloaded
        /// The pool was retired (a reload replaced it) while the request waited.
        case retired
    }

    /// What a waiting request does with its lane, or with the reason it gets none.
    typealias Start = @Sendable (Result<Lease, Failure>) -> Void

    /// A lane lent to one request; `release` gives it back.
    struct Lease: Sendable {
        let lane: Int
        let chain: OnlineChain
        /// When it was lent, if the lane was idle then (its answer time is the handler's, not a queue's).
        let sentToIdleAt: UInt64?
    }

    /// Answer time (ns; see `answerFloor`) above which requests wait for a free lane instead of being pipelined.
    static let lateBindingAbove = 500_000.0

    let endpoint: String
    private let maxInflight: Int
    private let mayBindLate: Bool
    private let queueLimit: Int
    private let restart: @Sendable (_ lane: Int) throws -> OnlineChain
    private let restarted: @Sendable () -> Void
    private let lock = NSLock()
    private var lanes: [OnlineChain?]
    private var inflight: [Int]
    /// Requests waiting for a lane, oldest first: what starts each, and its connection's event loop.
    private var waiters: [(start: Start, loop: any EventLoop)] = []
    private var busy = 0
    /// The shortest answer time (ns) of the last `floorWindow` requests given to idle lanes: the
    /// handler's own time plus a round trip. Not a mean: under saturation a sample also holds the
    /// server's own queue, and a fast handler must not look slow then.
    private var answerFloor = 0.0
    private var windowFloor = Double.infinity
    private var windowCount = 0
    private static let floorWindow = 64
    private var drained: [CheckedContinuation<Void, Never>] = []
    private var retired = false

    /// `restart` starts a fresh chain for a broken lane (on `BlockingWork`'s
    /// threads); `restarted` hears of each restart (metrics); `mayBindLate`
    /// is false for a chain that batches.
    init(endpoint: String, lanes: [OnlineChain], maxInflight: Int, mayBindLate: Bool, queueLimit: Int,
         restart: @escaping @Sendable (_ lane: Int) throws -> OnlineChain, restarted: @escaping @Sendable () -> Void) {
        self.endpoint = endpoint
        self.lanes = lanes
        self.inflight = lanes.map { _ in 0 }
        self.maxInflight = maxInflight
        self.mayBindLate = mayBindLate
        self.queueLimit = queueLimit
        self.restart = restart
        self.restarted = restarted
    }

    /// Requests that wait for a lane to free before busy lanes are given more (none for a fast handler).
    private var unbound: Int { mayBindLate && answerFloor > Self.lateBindingAbove ? min(queueLimit, lanes.count) : 0 }

    /// A lane for a request right now, if there is one (the usual case: no future needed).
    func tryAcquire(near eventLoop: any EventLoop) -> Lease? {
        lock.withLock { take(near: eventLoop) }
    }

    /// Calls `start` with a lane for one request on `eventLoop`: at once, or
    /// after a wait when none is idle (see above) on the thread that frees
    /// one. That is the freed lane's event loop, so the request reaches its
    /// worker without waking another thread.
    func acquire(on eventLoop: any EventLoop, _ start: @escaping Start) {
        let now: Result<Lease, Failure>? = lock.withLock {
            if retired { return .failure(.retired) }
            if let lease = take(near: eventLoop) { return .success(lease) }
            guard waiters.count < queueLimit else { return .failure(.overloaded) }
            waiters.append((start, eventLoop))
            return nil
        }
        if let now { start(now) }
    }

    /// Gives a lane back; a `broken` one is replaced (once, however many of its requests report it).
    func release(_ lease: Lease, broken: Bool) {
        var replaced: OnlineChain?
        let (handed, idle) = lock.withLock {
            inflight[lease.lane] -= 1
            busy -= 1
            if let started = lease.sentToIdleAt { recordAnswer(nanoseconds: Double(DispatchTime.now().uptimeNanoseconds - started)) }
            if broken, lanes[lease.lane] === lease.chain {
                lanes[lease.lane] = nil
                replaced = lease.chain
            }
            return (handOut(), busy == 0 ? takeDrained() : [])
        }
        for (start, lease) in handed { start(.success(lease)) }
        for waiter in idle { waiter.resume() }
        if let replaced { replace(lease.lane, replaced) }
    }

    /// Refuses new work, waits for in-flight requests, then stops every lane.
    func retire() async {
        let waiting = lock.withLock {
            retired = true
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiting { waiter.start(.failure(.retired)) }
        await withCheckedContinuation { continuation in
            let idle = lock.withLock {
                if busy == 0 { return true }
                drained.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        let chains = lock.withLock {
            defer { lanes = lanes.map { _ in nil } }
            return lanes.compactMap { $0 }
        }
        _ = try? await BlockingWork.run { chains.forEach { $0.stop() } }
    }

    /// A live lane (under the lock): an idle one, preferably on `eventLoop`
    /// (answering it needs no hop between threads); when `unbound` requests
    /// wait, else the least busy with room on `eventLoop`, else the least busy.
    /// So a saturated server keeps each request on its connection's event loop.
    private func take(near eventLoop: any EventLoop) -> Lease? {
        guard !retired else { return nil }
        let pipelining = waiters.count >= unbound
        var best: (lane: Int, rank: (Int, Int, Int))?
        for lane in lanes.indices where inflight[lane] == 0 || (pipelining && inflight[lane] < maxInflight) {
            guard let chain = lanes[lane] else { continue }
            let rank = (inflight[lane] == 0 ? 0 : 1, chain.eventLoop === eventLoop ? 0 : 1, inflight[lane])
            if best.map({ rank < $0.rank }) ?? true { best = (lane, rank) }
        }
        guard let lane = best?.lane, let chain = lanes[lane] else { return nil }
        let sentToIdleAt = inflight[lane] == 0 ? DispatchTime.now().uptimeNanoseconds : nil
        inflight[lane] += 1
        busy += 1
        return Lease(lane: lane, chain: chain, sentToIdleAt: sentToIdleAt)
    }

    /// Waiters, oldest first, paired with the lanes they may now take (under the lock).
    private func handOut() -> [(Start, Lease)] {
        var handed: [(Start, Lease)] = []
        while let waiter = waiters.first, let lease = take(near: waiter.loop) {
            waiters.removeFirst()
            handed.append((waiter.start, lease))
        }
        return handed
    }

    /// One answer time of a request given to an idle lane (under the lock). Until a window is
    /// full the pool pipelines: a first call's slowness says nothing of the handler.
    private func recordAnswer(nanoseconds: Double) {
        windowFloor = min(windowFloor, nanoseconds)
        windowCount += 1
        guard windowCount == Self.floorWindow else { return }
        (answerFloor, windowFloor, windowCount) = (windowFloor, .infinity, 0)
    }

    private func takeDrained() -> [CheckedContinuation<Void, Never>] {
        defer { drained.removeAll() }
        return drained
    }

    /// Stops the broken chain and starts a fresh one in its lane, retrying every second while the cell fails to load.
    private func replace(_ lane: Int, _ old: OnlineChain) {
        restarted()
        let restart = self.restart
        Task { [weak self] in
            _ = try? await BlockingWork.run { old.stop() }
            while let pool = self, !pool.isRetired {
                if let fresh = try? await BlockingWork.run({ try restart(lane) }) {
                    await pool.restored(lane, fresh)
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private var isRetired: Bool { lock.withLock { retired } }

    private func restored(_ lane: Int, _ chain: OnlineChain) async {
        let handed: [(Start, Lease)]? = lock.withLock {
            guard !retired else { return nil }
            lanes[lane] = chain
            return handOut()
        }
        guard let handed else {
            _ = try? await BlockingWork.run { chain.stop() }
            return
        }
        for (start, lease) in handed { start(.success(lease)) }
    }
}
