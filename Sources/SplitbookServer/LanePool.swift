import Foundation
import NIOCore
import SplitbookEngine

/// The running copies ("lanes") of one endpoint's chain. A lane takes up to
/// `maxInflight` requests at once (its Python workers pipeline them); each
/// request goes to a live lane with room (see `take`), or waits in a bounded
/// queue when every lane is full. A lane whose worker crashed or timed out is replaced
/// in the background: no request waits for that. The state sits behind one
/// lock, held only to count, never across a wait.
final class LanePool: @unchecked Sendable {
    enum Failure: Error {
        /// Every lane is full and the queue is full.
        case overloaded
        /// The pool was retired (a reload replaced it) while the request waited.
        case retired
    }

    /// A lane lent to one request; `release` gives it back.
    struct Lease: Sendable {
        let lane: Int
        let chain: OnlineChain
    }

    let endpoint: String
    private let maxInflight: Int
    private let queueLimit: Int
    private let restart: @Sendable (_ lane: Int) throws -> OnlineChain
    private let restarted: @Sendable () -> Void
    private let lock = NSLock()
    private var lanes: [OnlineChain?]
    private var inflight: [Int]
    private var waiters: [(promise: EventLoopPromise<Lease>, loop: any EventLoop)] = []
    private var busy = 0
    private var drained: [CheckedContinuation<Void, Never>] = []
    private var retired = false

    /// `restart` starts a fresh chain for a broken lane (on `BlockingWork`'s
    /// threads); `restarted` hears of each restart (metrics).
    init(endpoint: String, lanes: [OnlineChain], maxInflight: Int, queueLimit: Int,
         restart: @escaping @Sendable (_ lane: Int) throws -> OnlineChain, restarted: @escaping @Sendable () -> Void) {
        self.endpoint = endpoint
        self.lanes = lanes
        self.inflight = lanes.map { _ in 0 }
        self.maxInflight = maxInflight
        self.queueLimit = queueLimit
        self.restart = restart
        self.restarted = restarted
    }

    /// A lane with room right now, if there is one (the usual case: no future needed).
    func tryAcquire(near eventLoop: any EventLoop) -> Lease? {
        lock.withLock { take(near: eventLoop) }
    }

    /// A lane for one request on `eventLoop`, after a wait in the queue when every lane is full.
    func acquire(on eventLoop: any EventLoop) -> EventLoopFuture<Lease> {
        lock.withLock {
            if retired { return eventLoop.makeFailedFuture(Failure.retired) }
            if let lease = take(near: eventLoop) { return eventLoop.makeSucceededFuture(lease) }
            guard waiters.count < queueLimit else { return eventLoop.makeFailedFuture(Failure.overloaded) }
            let promise = eventLoop.makePromise(of: Lease.self)
            waiters.append((promise, eventLoop))
            return promise.futureResult
        }
    }

    /// Gives a lane back; a `broken` one is replaced (once, however many of its requests report it).
    func release(_ lease: Lease, broken: Bool) {
        var replaced: OnlineChain?
        let (handed, idle) = lock.withLock {
            inflight[lease.lane] -= 1
            busy -= 1
            if broken, lanes[lease.lane] === lease.chain {
                lanes[lease.lane] = nil
                replaced = lease.chain
            }
            return (handOut(), busy == 0 ? takeDrained() : [])
        }
        for (waiter, lease) in handed { waiter.succeed(lease) }
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
        for waiter in waiting { waiter.promise.fail(Failure.retired) }
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

    /// A live lane with room (under the lock): an idle one, else the least
    /// busy on `eventLoop` (answering it needs no hop between threads), else
    /// the least busy. So no worker idles while another has a queue, and a
    /// loaded server keeps each request on its connection's event loop.
    private func take(near eventLoop: any EventLoop) -> Lease? {
        guard !retired else { return nil }
        var best: (lane: Int, rank: (Int, Int, Int))?
        for lane in lanes.indices where inflight[lane] < maxInflight {
            guard let chain = lanes[lane] else { continue }
            let rank = (inflight[lane] == 0 ? 0 : 1, chain.eventLoop === eventLoop ? 0 : 1, inflight[lane])
            if best.map({ rank < $0.rank }) ?? true { best = (lane, rank) }
        }
        guard let lane = best?.lane, let chain = lanes[lane] else { return nil }
        inflight[lane] += 1
        busy += 1
        return Lease(lane: lane, chain: chain)
    }

    /// Waiters paired with the lanes that now have room (under the lock).
    private func handOut() -> [(EventLoopPromise<Lease>, Lease)] {
        var handed: [(EventLoopPromise<Lease>, Lease)] = []
        while let waiter = waiters.first, let lease = take(near: waiter.loop) {
            waiters.removeFirst()
            handed.append((waiter.promise, lease))
        }
        return handed
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
        let handed: [(EventLoopPromise<Lease>, Lease)]? = lock.withLock {
            guard !retired else { return nil }
            lanes[lane] = chain
            return handOut()
        }
        guard let handed else {
            _ = try? await BlockingWork.run { chain.stop() }
            return
        }
        for (waiter, lease) in handed { waiter.succeed(lease) }
    }
}
