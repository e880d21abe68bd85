import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SplitbookEngine
import SplitbookSpec

/// The HTTP API of `splitbook serve` (CONTRACT §8); `HTTPServer` carries it.
///
///     POST /v1/ENDPOINT     JSON request -> JSON response
///     GET  /healthz         the process is alive
///     GET  /readyz          every artifact resolved and verified, every worker loaded (503 before)
///     GET  /openapi.json    the endpoints, with the samples as examples
///     GET  /metrics         Prometheus text
///     GET  /v1/artifacts    the artifact versions being served
///     GET  /metadata        notebook, endpoints, artifacts and cell hashes
///     POST /admin/reload    re-resolve aliases and swap in new versions (also SIGHUP)
///
/// Errors are `{"error": {"code": "...", "message": "..."}}`: 400 bad JSON, 404
/// unknown endpoint, 413 body too large, 500 the cell raised or crashed, 503
/// not ready, overloaded, or in flight on a worker replaced after another
/// request's timeout (both with `Retry-After`), 504 too slow.
public struct ServingApplication: Sendable {
    let state: ServingState
    let options: ServingOptions
    let logger: Logger
    let makePlan: @Sendable () throws -> ServingPlan

    /// `makePlan` resolves what to serve (called at start and on every reload);
    /// `startChain` starts one running copy of an endpoint's chain.
    public init(options: ServingOptions, logger: Logger, makePlan: @escaping @Sendable () throws -> ServingPlan,
                startChain: @escaping StartChain) {
        let state = ServingState(options: options, logger: logger, metrics: ServerMetrics(), makePlan: makePlan, startChain: startChain)
        self.state = state
        self.options = options
        self.logger = logger
        self.makePlan = makePlan
    }

    /// Resolves artifacts and loads every worker (the server answers /healthz meanwhile).
    public func load() async -> String { await state.load() }

    /// Stops the workers after in-flight requests finish.
    public func shutdown() async { await state.shutdown() }

    /// The answer to `request`, completed on `eventLoop`. An endpoint request
    /// stays on the event loop from here to its worker and back; for the other
    /// routes see `respond(_:on:)`.
    public func handle(_ request: ServedRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ServedResponse> {
        // Endpoint requests first: they are nearly all the traffic.
        let isEndpoint = request.method == .POST && ServingRoute.endpoint.matches(request.path)
        guard let route = isEndpoint ? .endpoint : ServingRoute.allCases.first(where: { $0.method == request.method.rawValue && $0.matches(request.path) })
        else {
            return eventLoop.makeSucceededFuture(Self.unrouted(request))
        }
        guard route == .endpoint else { return respond(route, on: eventLoop) }
        let started = DispatchTime.now().uptimeNanoseconds
        let endpoint = request.path.dropFirst("/v1/".count)
        let accessLog = options.accessLog
        let answered = answer(request, endpoint: endpoint, on: eventLoop)
        answered.whenSuccess { [state, logger] response in
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            // Unknown names share one label: a client must not be able to create metrics at will.
            let label = response.status == .notFound ? "unknown" : String(endpoint)
            state.metrics.request(endpoint: label, status: Int(response.status.code), seconds: seconds)
            if accessLog {
                logger.info("request", metadata: ["request": "\(request.id)", "endpoint": "\(endpoint)", "status": "\(response.status.code)",
                                                  "ms": "\(Self.milliseconds(seconds))"])
            }
        }
        return answered
    }

    /// 404, or 405 with `Allow` when the path exists but answers other methods.
    private static func unrouted(_ request: ServedRequest) -> ServedResponse {
        let allowed = ServingRoute.methods(serving: request.path)
        guard allowed.isEmpty else {
            var response = error(.methodNotAllowed, "method_not_allowed",
                                 "\(request.path) answers \(allowed.joined(separator: ", ")), not \(request.method.rawValue)")
            response.headers.add(name: "allow", value: allowed.joined(separator: ", "))
            return response
        }
        return error(.notFound, "not_found", "no route \(request.method.rawValue) \(request.path)")
    }

    /// A route other than an endpoint. Health, readiness, metrics and what is
    /// served are answered on the event loop from the route table, so they
    /// answer even while a reload keeps the serving state busy; the OpenAPI
    /// document may read the notebook (blocking work) and a reload waits for
    /// the serving state (a task).
    private func respond(_ route: ServingRoute, on eventLoop: any EventLoop) -> EventLoopFuture<ServedResponse> {
        let routes = state.routes
        switch route {
        case .healthz:
            return eventLoop.makeSucceededFuture(Self.json(.ok, .object(["status": .string("alive")])))
        case .readyz:
            let why = routes.notServing
            return eventLoop.makeSucceededFuture(why.map { Self.error(.serviceUnavailable, "not_ready", "not ready: \($0)") }
                                                 ?? Self.json(.ok, .object(["status": .string("ready")])))
        case .metrics:
            return eventLoop.makeSucceededFuture(ServedResponse(status: .ok, headers: ["content-type": "text/plain; version=0.0.4"],
                                                                body: ByteBuffer(bytes: state.metrics.registry.emitToBuffer())))
        case .artifacts, .metadata:
            guard let plan = routes.plan else {
                return eventLoop.makeSucceededFuture(Self.error(.serviceUnavailable, "not_ready", "not ready yet"))
            }
            return eventLoop.makeSucceededFuture(Self.json(.ok, route == .artifacts ? .object(["artifacts": Self.artifacts(plan)]) : Self.metadata(plan)))
        case .openAPI:
            let makePlan = self.makePlan
            return BlockingWork.submit(on: eventLoop) { Self.json(.ok, OpenAPIDocument.make(plan: routes.plan ?? (try? makePlan()))) }
        case .reload:
            return eventLoop.makeFutureWithTask { [state] in
                let result = await state.load()
                return result.hasPrefix("reload failed")
                    ? Self.error(.internalServerError, "reload_failed", result)
                    : Self.json(.ok, .object(["result": .string(result)]))
            }
        case .endpoint:
            preconditionFailure("endpoint requests are answered by answer(_:endpoint:on:)")
        }
    }

    static func metadata(_ plan: ServingPlan) -> JSONValue {
        .object([
            "notebook": .string(plan.notebook),
            "endpoints": .array(plan.endpoints.map { .object(["name": .string($0.name), "chain": .array($0.chain.map { .string($0.cell.id.value.rawValue) })]) }),
            "artifacts": artifacts(plan),
            "cells": .object(plan.cellHashes.mapValues { .string($0.hex) }),
        ])
    }

    /// One request through a lane of the endpoint's pool.
    private func answer(_ request: ServedRequest, endpoint: Substring, on eventLoop: any EventLoop) -> EventLoopFuture<ServedResponse> {
        guard let body = request.body else {
            return eventLoop.makeSucceededFuture(
                Self.error(.payloadTooLarge, "body_too_large", "the request body is over the limit of \(options.maxBody) bytes"))
        }
        let pool: LanePool, schema: JSONSchemaValidator?
        switch state.routes.route(endpoint) {
        case .serve(let p, let s): (pool, schema) = (p, s)
        case .notReady:
            return eventLoop.makeSucceededFuture(Self.error(.serviceUnavailable, "not_ready", "not ready: workers are loading"))
        case .unknown(let names):
            return eventLoop.makeSucceededFuture(
                Self.error(.notFound, "unknown_endpoint", "no endpoint '\(endpoint)'; endpoints: \(names.joined(separator: ", "))"))
        }
        guard let value = JSONValue.parseJSON(body) else {
            return eventLoop.makeSucceededFuture(Self.error(.badRequest, "bad_json", "the request body is not valid JSON"))
        }
        if let schema, let failure = schema.validate(value) {
            return eventLoop.makeSucceededFuture(Self.error(.unprocessableEntity, "invalid_request",
                                                            "the request does not follow the endpoint's request_schema: \(failure)",
                                                            ["pointer": .string(failure.pointer)]))
        }
        if let lease = pool.tryAcquire(near: eventLoop) { return respond(value, lease: lease, pool: pool, request: request, on: eventLoop) }
        let answered = eventLoop.makePromise(of: ServedResponse.self)
        pool.acquire(on: eventLoop) { leased in
            switch leased {
            case .success(let lease):
                answered.completeWith(self.respond(value, lease: lease, pool: pool, request: request, on: eventLoop))
            case .failure:
                answered.succeed(Self.error(.serviceUnavailable, "overloaded", "every worker is busy and the queue is full; retry later").retryLater())
            }
        }
        return answered.futureResult
    }

    /// `value` through the lane's chain, answered on `eventLoop`. The lane is
    /// given back on its own event loop as the answer arrives, so a request
    /// waiting for it is sent from there.
    private func respond(_ value: JSONValue, lease: LanePool.Lease, pool: LanePool, request: ServedRequest,
                         on eventLoop: any EventLoop) -> EventLoopFuture<ServedResponse> {
        let (logger, debug) = (logger, options.debug)
        // Each cell's own `timeout` bounds it; cells without one get the server's (`defaultTimeout` of the chain).
        return lease.chain.respond(value, on: lease.chain.eventLoop ?? eventLoop).map { result in
            switch result {
            case .success(let response):
                pool.release(lease, broken: false)
                return Self.json(.ok, response)
            case .failure(let failure):
                pool.release(lease, broken: failure.needsRestart)
                // The traceback stays in the log, under the id the client is given.
                logger.error("cell error", metadata: ["request": "\(request.id)", "endpoint": "\(request.path.dropFirst("/v1/".count))", "error": "\(failure)"])
                return Self.failed(failure, id: request.id, debug: debug)
            }
        }.hop(to: eventLoop)
    }

    /// The error response for a failed request; `id` names it in the log.
    static func failed(_ failure: OnlineChain.Failure, id: String, debug: Bool) -> ServedResponse {
        switch failure {
        case .cell(let cell, let raised):
            var details: [String: JSONValue] = ["type": .string(raised.type), "id": .string(id)]
            if debug, !raised.traceback.isEmpty { details["traceback"] = .string(raised.traceback) }
            return error(.internalServerError, "cell_error", "online cell '\(cell)' failed: \(raised.type): \(raised.message)", details)
        case .timeout:
            return error(.gatewayTimeout, "timeout", "\(failure)", ["id": .string(id)])
        case .crashed:
            return error(.internalServerError, "worker_crashed", "\(failure); the worker is being restarted", ["id": .string(id)])
        case .replaced:
            return error(.serviceUnavailable, "worker_replaced", "\(failure); retry", ["id": .string(id)]).retryLater()
        }
    }

    static func artifacts(_ plan: ServingPlan) -> JSONValue {
        .array(plan.artifacts.map {
            .object(["name": .string($0.name), "reference": .string($0.reference), "version": .int($0.version),
                     "contentHash": .string($0.contentHash.hex)])
        })
    }

    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> ServedResponse { .json(status, value) }

    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String, _ details: [String: JSONValue] = [:]) -> ServedResponse {
        .error(status, code, message, details)
    }

    /// `seconds` in milliseconds with two decimals, for the request log.
    static func milliseconds(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100_000).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
