import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SplitbookEngine
import SplitbookSpec

/// The HTTP API of `splitbook serve` (CONTRACT §8) on Hummingbird.
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
    let openAPI: @Sendable () async -> JSONValue

    /// `makePlan` resolves what to serve (called at start and on every reload);
    /// `startChain` starts one running copy of an endpoint's chain.
    public init(options: ServingOptions, logger: Logger, makePlan: @escaping @Sendable () throws -> ServingPlan,
                startChain: @escaping StartChain) {
        let state = ServingState(options: options, logger: logger, metrics: ServerMetrics(), makePlan: makePlan, startChain: startChain)
        self.state = state
        self.options = options
        self.logger = logger
        self.openAPI = {
            let plan: ServingPlan? = await state.current?.plan ?? (try? makePlan())
            return OpenAPIDocument.make(plan: plan)
        }
    }

    /// Resolves artifacts and loads every worker (the server answers /healthz meanwhile).
    public func load() async -> String { await state.load() }

    /// Stops the workers after in-flight requests finish.
    public func shutdown() async { await state.shutdown() }

    /// The router: one handler per `ServingRoute`, the table the OpenAPI document is made from.
    public func router() -> Router<ServingRequestContext> {
        let router = Router(context: ServingRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        for route in ServingRoute.allCases {
            router.on(RouterPath(route.path), method: HTTPRequest.Method(route.method)!) { request, context in
                try await self.respond(route, request, context)
            }
        }
        return router
    }

    private func respond(_ route: ServingRoute, _ request: Request, _ context: ServingRequestContext) async throws -> Response {
        switch route {
        case .healthz:
            return Self.json(.ok, .object(["status": .string("alive")]))
        case .readyz:
            if await state.isReady { return Self.json(.ok, .object(["status": .string("ready")])) }
            let why = await state.loadError.map { "not ready: \($0)" } ?? "not ready: loading artifacts and workers"
            return Self.error(.serviceUnavailable, "not_ready", why)
        case .openAPI:
            return Self.json(.ok, await openAPI())
        case .metrics:
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: state.metrics.registry.emitToBuffer())))
        case .artifacts:
            guard let plan = await state.current?.plan else { return Self.error(.serviceUnavailable, "not_ready", "not ready yet") }
            return Self.json(.ok, .object(["artifacts": Self.artifacts(plan)]))
        case .metadata:
            guard let plan = await state.current?.plan else { return Self.error(.serviceUnavailable, "not_ready", "not ready yet") }
            return Self.json(.ok, .object([
                "notebook": .string(plan.notebook),
                "endpoints": .array(plan.endpoints.map { .object(["name": .string($0.name), "chain": .array($0.chain.map { .string($0.cell.id.value.rawValue) })]) }),
                "artifacts": Self.artifacts(plan),
                "cells": .object(plan.cellHashes.mapValues { .string($0.hex) }),
            ]))
        case .reload:
            let result = await state.load()
            return result.hasPrefix("reload failed")
                ? Self.error(.internalServerError, "reload_failed", result)
                : Self.json(.ok, .object(["result": .string(result)]))
        case .endpoint:
            let started = DispatchTime.now().uptimeNanoseconds
            let endpoint = try context.parameters.require("endpoint")
            let requestID = context.requestID
            let response = await Self.answer(request, endpoint: endpoint, state: state, options: options) { failure in
                // The traceback stays here, under the id the client was given.
                logger.error("cell error", metadata: ["request": "\(requestID)", "endpoint": "\(endpoint)", "error": "\(failure)"])
                return requestID
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            // Unknown names share one label: a client must not be able to create metrics at will.
            let label = response.status == .notFound ? "unknown" : endpoint
            state.metrics.request(endpoint: label, status: Int(response.status.code), seconds: seconds)
            logger.info("request", metadata: ["request": "\(requestID)", "endpoint": "\(endpoint)", "status": "\(response.status.code)",
                                              "ms": "\(String(format: "%.2f", seconds * 1000))"])
            return response
        }
    }

    /// One request through a lane of the endpoint's pool. `logged` records a
    /// failure with its details and returns the id the client is given for it.
    static func answer(_ request: Request, endpoint: String, state: ServingState, options: ServingOptions,
                       logged: (OnlineChain.Failure) -> String) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: options.maxBody)
        } catch {
            return Self.error(.contentTooLarge, "body_too_large", "the request body is over the limit of \(options.maxBody) bytes")
        }
        guard let (pool, schema) = await state.route(endpoint) else {
            guard let names = await state.current?.plan.endpoints.map(\.name) else {
                return Self.error(.serviceUnavailable, "not_ready", "not ready: workers are loading")
            }
            return Self.error(.notFound, "unknown_endpoint", "no endpoint '\(endpoint)'; endpoints: \(names.joined(separator: ", "))")
        }
        guard let value = JSONValue.parseJSON(body.readableBytesView) else {
            return Self.error(.badRequest, "bad_json", "the request body is not valid JSON")
        }
        if let schema, let failure = schema.validate(value) {
            return Self.error(.unprocessableContent, "invalid_request", "the request does not follow the endpoint's request_schema: \(failure)",
                              ["pointer": .string(failure.pointer)])
        }
        let lease: LanePool.Lease
        do {
            lease = try await pool.acquire()
        } catch {
            return Self.retryLater(Self.error(.serviceUnavailable, "overloaded", "every worker is busy and the queue is full; retry later"))
        }
        // Each cell's own `timeout` bounds it; cells without one get the server's (`defaultTimeout` of the chain).
        switch await lease.chain.respond(value) {
        case .success(let response):
            pool.release(lease, broken: false)
            return Self.json(.ok, response)
        case .failure(let failure):
            pool.release(lease, broken: failure.needsRestart)
            return Self.failed(failure, id: logged(failure), debug: options.debug)
        }
    }

    /// The error response for a failed request; `id` names it in the log.
    static func failed(_ failure: OnlineChain.Failure, id: String, debug: Bool) -> Response {
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
            return retryLater(error(.serviceUnavailable, "worker_replaced", "\(failure); retry", ["id": .string(id)]))
        }
    }

    /// `Retry-After: 1` on a 503 the client should simply retry.
    static func retryLater(_ response: Response) -> Response {
        var response = response
        response.headers[.retryAfter] = "1"
        return response
    }

    static func artifacts(_ plan: ServingPlan) -> JSONValue {
        .array(plan.artifacts.map {
            .object(["name": .string($0.name), "reference": .string($0.reference), "version": .int($0.version),
                     "contentHash": .string($0.contentHash.hex)])
        })
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: value.canonicalJSON)))
    }

    /// `{"error": {"code", "message", ...}}`; `details` adds fields (`type`, `id`).
    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String, _ details: [String: JSONValue] = [:]) -> Response {
        json(status, .object(["error": .object(details.merging(["code": .string(code), "message": .string(message)]) { $1 })]))
    }
}

/// Turns anything thrown inside the router (an unknown route, a bad parameter)
/// into the JSON error shape.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = ServingRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let allowed = ServingRoute.methods(serving: request.uri.path)
            if error.status == .notFound, !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                var response = ServingApplication.error(.methodNotAllowed, "method_not_allowed",
                                                        "\(request.uri.path) answers \(allowed.joined(separator: ", ")), not \(request.method)")
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : "\(error)"
            return ServingApplication.error(error.status, code, message)
        } catch {
            return ServingApplication.error(.internalServerError, "internal", "\(error)")
        }
    }
}

/// A request's context: Hummingbird's, plus the request's id.
public struct ServingRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-ID` (see `RequestIDMiddleware`).
    public var requestID = ""

    public init(source: Source) { coreContext = .init(source: source) }
}

/// `X-Request-ID`: taken from the request when it is a sane token (at most
/// 128 letters, digits, `-`, `_`, `.`), else generated; the context carries
/// it to the handlers, the response carries it back, logs and error ids use it.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = ServingRequestContext
    public static let header = HTTPField.Name("X-Request-ID")!

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.sane) ?? Self.generate()
        context.requestID = id
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    static func sane(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= 128,
              id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { return nil }
        return id
    }

    static func generate() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
