import Foundation
import Logging
import Prometheus
import SplitbookEngine
import SplitbookSpec

/// What the server is serving right now: one generation of lane pools built
/// from one `ServingPlan`. A reload builds the next generation completely
/// (every worker loaded) before swapping it in, then retires the old one
/// after its in-flight requests finish, so no request fails.
actor ServingState {
    struct Generation {
        var plan: ServingPlan
        var pools: [String: LanePool]
        /// Each endpoint's `request_schema`, ready to validate requests.
        var schemas: [String: JSONSchemaValidator] = [:]
    }

    /// The generation being served and the last load's error: kept in the
    /// route table, which the request path reads without a hop to this actor.
    nonisolated let routes = RouteTable()
    private(set) var current: Generation? {
        get { routes.generation }
        set { routes.generation = newValue }
    }
    private var loadError: String? {
        get { routes.loadError }
        set { routes.loadError = newValue }
    }
    private let makePlan: @Sendable () throws -> ServingPlan
    private let startChain: StartChain
    private let options: ServingOptions
    private let logger: Logger
    let metrics: ServerMetrics
    private var reloading = false

    init(options: ServingOptions, logger: Logger, metrics: ServerMetrics, makePlan: @escaping @Sendable () throws -> ServingPlan,
         startChain: @escaping StartChain) {
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.makePlan = makePlan
        self.startChain = startChain
    }

    /// Resolves artifacts and starts every lane; becomes ready when all have loaded.
    /// Returns what changed, in words (for logs and /admin/reload).
    @discardableResult
    func load() async -> String {
        guard !reloading else { return "a reload is already in progress" }
        reloading = true
        defer { reloading = false }
        let plan: ServingPlan
        do {
            plan = try makePlan()
        } catch {
            loadError = "\(error)"
            logger.error("cannot resolve what to serve", metadata: ["error": "\(error)"])
            return "reload failed: \(error)"
        }
        if let current, current.plan.artifacts == plan.artifacts, current.plan.cellHashes == plan.cellHashes {
            return "nothing changed: still serving " + Self.describe(plan.artifacts)
        }
        var pools: [String: LanePool] = [:]
        do {
            for endpoint in plan.endpoints {
                let jobs = endpoint.chain
                let start = startChain
                let name = endpoint.name
                let onBatch: @Sendable (Int) -> Void = { [metrics] in metrics.batch(endpoint: name, size: $0) }
                let lanes = try await withThrowingTaskGroup(of: OnlineChain.self) { group in
                    for lane in 0..<options.workers { group.addTask { try await BlockingWork.run { try start(jobs, lane, onBatch) } } }
                    var lanes: [OnlineChain] = []
                    for try await lane in group { lanes.append(lane) }
                    return lanes
                }
                if let parity = endpoint.parity {
                    do {
                        try await check(parity, endpoint: endpoint.name, on: lanes[0])
                    } catch {
                        lanes.forEach { $0.stop() }
                        throw error
                    }
                }
                pools[endpoint.name] = LanePool(endpoint: endpoint.name, lanes: lanes,
                                                maxInflight: max(options.maxInflight, lanes[0].largestBatch),
                                                mayBindLate: lanes[0].largestBatch == 1, queueLimit: options.queueLimit,
                                                restart: { try start(jobs, $0, onBatch) }, restarted: { [metrics] in metrics.workerRestart(endpoint: name) })
            }
        } catch {
            for pool in pools.values { await pool.retire() }
            loadError = "\(error)"
            if !(error is ParityFailure) { logger.error("cannot start the online cells", metadata: ["error": "\(error)"]) }
            return "reload failed: \(error)"
        }
        let previous = current
        var schemas: [String: JSONSchemaValidator] = [:]
        for endpoint in plan.endpoints {
            if let schema = endpoint.chain.last?.cell.requestSchema?.value { schemas[endpoint.name] = JSONSchemaValidator(schema: schema) }
        }
        current = Generation(plan: plan, pools: pools, schemas: schemas)
        loadError = nil
        logger.info("serving", metadata: ["notebook": "\(plan.notebook)", "artifacts": "\(Self.describe(plan.artifacts))",
                                          "endpoints": "\(plan.endpoints.map(\.name).joined(separator: ","))"])
        if let previous {
            Task { for pool in previous.pools.values { await pool.retire() } }
            return "now serving " + Self.describe(plan.artifacts)
        }
        return "serving " + Self.describe(plan.artifacts)
    }

    /// Replays the endpoint's parity rows through a lane of the new generation
    /// before it serves: a skewed generation never becomes ready (nor replaces one that is).
    private func check(_ parity: ParityCheck, endpoint: String, on lane: OnlineChain) async throws {
        let outcome = try await BlockingWork.run { parity.run { lane.call($0).mapError { $0 as any Error } } }
        metrics.parity(endpoint: endpoint, outcome: outcome)
        guard outcome.passed else {
            logger.error("parity failed: this generation is not served", metadata: ["endpoint": "\(endpoint)", "report": "\(parity.describe(outcome))"])
            throw ParityFailure(endpoint: endpoint, summary: parity.describe(outcome))
        }
        logger.info("parity holds", metadata: ["endpoint": "\(endpoint)", "rows": "\(outcome.rows)"])
    }

    /// Stops every lane (graceful shutdown: waits for in-flight requests).
    func shutdown() async {
        guard let current else { return }
        for pool in current.pools.values { await pool.retire() }
        self.current = nil
    }

    static func describe(_ artifacts: [ServingPlan.Artifact]) -> String {
        artifacts.isEmpty ? "no artifacts" : artifacts.map { "\($0.reference) v\($0.version)" }.joined(separator: ", ")
    }

}

/// The generation being served and why none is, behind a lock: what the
/// routes look up on their event loop, without waiting for the actor (which
/// may be busy loading), one lock for an endpoint's pool and schema.
final class RouteTable: @unchecked Sendable {
    /// Where a request to an endpoint goes.
    enum Route {
        case serve(LanePool, JSONSchemaValidator?)
        /// No generation is served yet.
        case notReady
        /// No such endpoint; the names of those that exist.
        case unknown([String])
    }

    private let lock = NSLock()
    private var served: ServingState.Generation?
    private var lastLoadError: String?

    /// The generation being served (set by `ServingState` only).
    var generation: ServingState.Generation? {
        get { lock.withLock { served } }
        set { lock.withLock { served = newValue } }
    }

    /// The last load's error, nil after one succeeded (set by `ServingState` only).
    var loadError: String? {
        get { lock.withLock { lastLoadError } }
        set { lock.withLock { lastLoadError = newValue } }
    }

    /// The plan being served; nil before the first generation is ready.
    var plan: ServingPlan? { lock.withLock { served?.plan } }

    /// Why nothing is served yet (the last load's error), nil when serving or still loading.
    var notServing: String? { lock.withLock { served == nil ? (lastLoadError ?? "loading artifacts and workers") : nil } }

    func route(_ endpoint: Substring) -> Route {
        lock.withLock {
            guard let generation = served else { return .notReady }
            guard let pool = generation.pools[String(endpoint)] else { return .unknown(generation.plan.endpoints.map(\.name)) }
            return .serve(pool, generation.schemas[String(endpoint)])
        }
    }
}

/// Starts one running copy (lane) of an endpoint's chain; the chain reports the size of each `handle_batch` batch to the closure.
public typealias StartChain = @Sendable (_ jobs: [CellJob], _ lane: Int, _ onBatch: @escaping @Sendable (Int) -> Void) throws -> OnlineChain

/// A generation whose answers differ from the offline half's parity rows.
struct ParityFailure: Error, CustomStringConvertible {
    let endpoint: String
    let summary: String
    var description: String { "parity failed for /v1/\(endpoint) (train/serving skew): \(summary)" }
}

/// The Prometheus metrics of `splitbook serve`.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private nonisolated(unsafe) static let requests = MetricNameDescriptor(namespace: "splitbook", metricName: "requests", unitName: "total",
                                                       helpText: "Requests answered, by endpoint and HTTP status.")
    private nonisolated(unsafe) static let errors = MetricNameDescriptor(namespace: "splitbook", metricName: "errors", unitName: "total",
                                                     helpText: "Requests answered with an error, by endpoint and HTTP status.")
    private nonisolated(unsafe) static let duration = MetricNameDescriptor(namespace: "splitbook", metricName: "request_duration", unitName: "seconds",
                                                       helpText: "Time to answer a request.")
    private nonisolated(unsafe) static let restarts = MetricNameDescriptor(namespace: "splitbook", metricName: "worker_restarts", unitName: "total",
                                                       helpText: "Worker chains restarted after a crash or a timeout.")

    func request(endpoint: String, status: Int, seconds: Double) {
        let series = series(endpoint: endpoint, status: status)
        series.requests.increment()
        series.errors?.increment()
        series.duration.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The series one endpoint and status count into, made on first use: looking
    /// them up in the registry by labels on every request cost 5% of the server's CPU.
    private struct RequestSeries {
        let requests: Counter
        let errors: Counter?
        let duration: DurationHistogram
    }

    private struct SeriesKey: Hashable {
        let endpoint: String
        let status: Int
    }

    private let seriesLock = NSLock()
    private nonisolated(unsafe) var knownSeries: [SeriesKey: RequestSeries] = [:]

    private func series(endpoint: String, status: Int) -> RequestSeries {
        seriesLock.withLock {
            let key = SeriesKey(endpoint: endpoint, status: status)
            if let known = knownSeries[key] { return known }
            let labels = [("endpoint", endpoint), ("code", String(status))]
            let made = RequestSeries(
                requests: registry.makeCounter(descriptor: Self.requests, labels: labels),
                errors: status >= 400 ? registry.makeCounter(descriptor: Self.errors, labels: labels) : nil,
                duration: registry.makeDurationHistogram(descriptor: Self.duration, labels: [("endpoint", endpoint)], buckets: Self.buckets))
            knownSeries[key] = made
            return made
        }
    }

    private nonisolated(unsafe) static let parityFailures = MetricNameDescriptor(
        namespace: "splitbook", metricName: "parity_failures", unitName: "total",
        helpText: "Generations refused because their answers differ from the offline parity rows.")
    private nonisolated(unsafe) static let parityDiffering = MetricNameDescriptor(
        namespace: "splitbook", metricName: "parity_differing_rows", helpText: "Rows that differed in the last parity check.")
    private nonisolated(unsafe) static let parityRows = MetricNameDescriptor(
        namespace: "splitbook", metricName: "parity_rows", helpText: "Rows replayed in the last parity check.")

    func parity(endpoint: String, outcome: ParityCheck.Outcome) {
        let labels = [("endpoint", endpoint)]
        registry.makeGauge(descriptor: Self.parityRows, labels: labels).set(Double(outcome.rows))
        registry.makeGauge(descriptor: Self.parityDiffering, labels: labels).set(Double(outcome.differing))
        if !outcome.passed { registry.makeCounter(descriptor: Self.parityFailures, labels: labels).increment() }
    }

    func workerRestart(endpoint: String) {
        registry.makeCounter(descriptor: Self.restarts, labels: [("endpoint", endpoint)]).increment()
    }

    private nonisolated(unsafe) static let batchSize = MetricNameDescriptor(
        namespace: "splitbook", metricName: "batch", unitName: "size", helpText: "Requests per call of an online cell's handle_batch, by endpoint.")

    func batch(endpoint: String, size: Int) {
        registry.makeValueHistogram(descriptor: Self.batchSize, labels: [("endpoint", endpoint)], buckets: Self.batchBuckets)
            .record(Double(size))
    }

    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    static let buckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
}
