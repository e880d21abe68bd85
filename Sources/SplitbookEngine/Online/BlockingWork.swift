import NIOCore
import NIOPosix

/// Work that has to block a thread (a per-request process, starting or
/// stopping workers), run on a bounded pool of threads of its own: never on
/// an event loop, nor on Swift's cooperative pool.
public enum BlockingWork {
    /// At most this many blocking calls run at once; more wait their turn.
    public static let threads = 16

    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }()

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(work)
    }

    /// `work` on the pool; the future completes on `eventLoop`.
    public static func submit<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: eventLoop, work)
    }
}
