import Foundation
import SplitbookEngine
import SplitbookSpec

/// The running copies ("lanes") of one endpoint's chain: each lane answers
/// one request at a time; requests wait in a bounded queue for a free lane.
/// A lane whose worker crashed or timed out is replaced in the background.
actor LanePool {
    enum Failure: Error {
        /// Every lane is busy and the queue is full.
        case overloaded
        /// The pool was retired (a reload replaced it) while the request waited.
        case retired
    }

    let endpoint: String
    private var lanes: [OnlineChain?]
    private var free: [Int]
    private var waiters: [CheckedContinuation<Int, any Error>] = []
    private let queueLimit: Int
    private let restart: @Sendable () throws -> OnlineChain
    private var busy = 0
    private var drained: [CheckedContinuation<Void, Never>] = []
    private(set) var restarts = 0
    private var retired = false

    init(endpoint: String, lanes: [OnlineChain], queueLimit: Int, restart: @escaping @Sendable () throws -> OnlineChain) {
        self.endpoint = endpoint
        self.lanes = lanes
        self.free = Array(lanes.indices)
        self.queueLimit = queueLimit
        self.restart = restart
    }

    /// A free lane's index, waiting in the queue when all are busy.
    func acquire() async throws -> Int {
        if let lane = free.popLast() {
            busy += 1
            return lane
        }
        guard waiters.count < queueLimit else { throw Failure.overloaded }
        let lane = try await withCheckedThrowingContinuation { waiters.append($0) }
        return lane
    }

    func chain(_ lane: Int) -> OnlineChain? { lanes[lane] }

    /// Gives a lane back; `broken` lanes are restarted first (off the request path).
    func release(_ lane: Int, broken: Bool) {
        if broken {
            let old = lanes[lane]
            lanes[lane] = nil
            restarts += 1
            let restart = self.restart
            Task.detached { [weak self] in
                old?.stop()  // killing and reaping the old workers is not the request's wait
                let fresh = try? restart()
                await self?.restored(lane, fresh)
            }
            busy -= 1
            signalIfIdle()
            return
        }
        hand(lane)
    }

    private func restored(_ lane: Int, _ chain: OnlineChain?) {
        if retired {
            chain?.stop()
            return
        }
        guard let chain else {
            // Could not restart (the cell now fails to load): try again shortly.
            let restart = self.restart
            Task.detached { [weak self] in
                try? await Task.sleep(for: .seconds(1))
                let fresh = try? restart()
                await self?.restored(lane, fresh)
            }
            return
        }
        lanes[lane] = chain
        busy += 1
        hand(lane)
    }

    private func hand(_ lane: Int) {
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: lane)
        } else {
            free.append(lane)
            busy -= 1
            signalIfIdle()
        }
    }

    private func signalIfIdle() {
        guard busy == 0 else { return }
        for continuation in drained { continuation.resume() }
        drained.removeAll()
    }

    /// Refuses new work, waits for in-flight requests, then stops every lane.
    func retire() async {
        retired = true
        for waiter in waiters { waiter.resume(throwing: Failure.retired) }
        waiters.removeAll()
        if busy > 0 { await withCheckedContinuation { drained.append($0) } }
        for lane in lanes { lane?.stop() }
        lanes = lanes.map { _ in nil }
        free.removeAll()
    }
}
