import Foundation
import SplitbookEngine

/// The running copies ("lanes") of one endpoint's chain. A lane takes up to
/// `maxInflight` requests at once (its Python workers pipeline them); each
/// request goes to the least busy live lane, or waits in a bounded queue when
/// every lane is full. A lane whose worker crashed or timed out is replaced
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
    private let restart: @Sendable () throws -> OnlineChain
    private let restarted: @Sendable () -> Void
    private let lock = NSLock()
    private var lanes: [OnlineChain?]
    private var inflight: [Int]
    private var waiters: [CheckedContinuation<Lease, any Error>] = []
    private var busy = 0
    private var drained: [CheckedContinuation<Void, Never>] = []
    private var retired = false

    /// `restart` starts a fresh chain for a broken lane (on `BlockingWork`'s
    /// threads); `restarted` hears of each restart (metrics).
    init(endpoint: String, lanes: [OnlineChain], maxInflight: Int, queueLimit: Int,
         restart: @escaping @Sendable () throws -> OnlineChain, restarted: @escaping @Sendable () -> Void) {
        self.endpoint = endpoint
        self.lanes = lanes
        self.inflight = lanes.map { _ in 0 }
        self.maxInflight = maxInflight
        self.queueLimit = queueLimit
        self.restart = restart
        self.restarted = restarted
    }

    /// A lane for one request, waiting in the queue when every lane is full.
    func acquire() async throws -> Lease {
        if let lease = lock.withLock({ take() }) { return lease }
        return try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<Lease, any Error>? = lock.withLock {
                if retired { return .failure(Failure.retired) }
                if let lease = take() { return .success(lease) }
                guard waiters.count < queueLimit else { return .failure(Failure.overloaded) }
                waiters.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
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
        for (waiter, lease) in handed { waiter.resume(returning: lease) }
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
        for waiter in waiting { waiter.resume(throwing: Failure.retired) }
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

    /// The least busy live lane with room (under the lock).
    private func take() -> Lease? {
        guard !retired else { return nil }
        var best: Int?
        for lane in lanes.indices where lanes[lane] != nil && inflight[lane] < maxInflight {
            if best.map({ inflight[lane] < inflight[$0] }) ?? true { best = lane }
        }
        guard let lane = best, let chain = lanes[lane] else { return nil }
        inflight[lane] += 1
        busy += 1
        return Lease(lane: lane, chain: chain)
    }

    /// Waiters paired with the lanes that now have room (under the lock).
    private func handOut() -> [(CheckedContinuation<Lease, any Error>, Lease)] {
        var handed: [(CheckedContinuation<Lease, any Error>, Lease)] = []
        while !waiters.isEmpty, let lease = take() { handed.append((waiters.removeFirst(), lease)) }
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
                if let fresh = try? await BlockingWork.run(restart) {
                    await pool.restored(lane, fresh)
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private var isRetired: Bool { lock.withLock { retired } }

    private func restored(_ lane: Int, _ chain: OnlineChain) async {
        let handed: [(CheckedContinuation<Lease, any Error>, Lease)]? = lock.withLock {
            guard !retired else { return nil }
            lanes[lane] = chain
            return handOut()
        }
        guard let handed else {
            _ = try? await BlockingWork.run { chain.stop() }
            return
        }
        for (waiter, lease) in handed { waiter.resume(returning: lease) }
    }
}
