import Foundation

/// How `splitbook serve` runs (its flags).
public struct ServingOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Running copies of each endpoint's chain (for Python: processes per cell).
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Largest request body accepted, in bytes (413 above).
    public var maxBody = 1 << 20
    /// Seconds a request may take in a cell without a `timeout` of its own, before 504.
    public var timeout: Double = 30
    /// Requests in flight at once on each running copy of an endpoint (raised
    /// to a larger `max_batch` set by one of its cells); more wait in the queue.
    /// The default is `max_batch`'s.
    public var maxInflight = 32
    /// Requests that may wait for a busy endpoint before 503.
    public var queueLimit = 64
    /// Seconds a connection may send nothing, with no request in progress, before it is closed.
    public var idleTimeout: Double = 60
    /// A log line per endpoint request (`serve --access-log`); off by default,
    /// as it costs about a sixth of the server's throughput. Errors are always logged.
    public var accessLog = false
    /// Error bodies carry the cell's traceback (`serve --debug`, for local work only).
    public var debug = false

    public init() {}
}
