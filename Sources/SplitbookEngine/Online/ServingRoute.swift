/// Every route `splitbook serve` answers and every status it can return:
/// the one table the server's router registers and the OpenAPI document
/// describes, so the two cannot drift apart.
public enum ServingRoute: CaseIterable, Sendable {
    case healthz, readyz, openAPI, metrics, artifacts, metadata, reload
    /// `POST /v1/{endpoint}`: one per online endpoint.
    case endpoint

    public var method: String {
        switch self {
        case .reload, .endpoint: "POST"
        default: "GET"
        }
    }

    /// The path, with `{endpoint}` for the endpoint's name.
    public var path: String {
        switch self {
        case .healthz: "/healthz"
        case .readyz: "/readyz"
        case .openAPI: "/openapi.json"
        case .metrics: "/metrics"
        case .artifacts: "/v1/artifacts"
        case .metadata: "/metadata"
        case .reload: "/admin/reload"
        case .endpoint: "/v1/{endpoint}"
        }
    }

    public var summary: String {
        switch self {
        case .healthz: "Alive"
        case .readyz: "Ready: artifacts verified and workers loaded"
        case .openAPI: "This document"
        case .metrics: "Prometheus metrics"
        case .artifacts: "Artifact versions served"
        case .metadata: "What is served"
        case .reload: "Re-resolve artifact aliases and swap in new versions"
        case .endpoint: "An online endpoint"
        }
    }

    /// The methods the routes that match `path` answer (`/v1/NAME` matches
    /// the endpoint route); empty when no route matches.
    public static func methods(serving path: String) -> [String] {
        allCases.filter { $0.matches(path) }.map(\.method)
    }

    /// Whether `path` is this route's (`/v1/NAME` is the endpoint route's).
    public func matches(_ path: String) -> Bool {
        guard self == .endpoint else { return path == self.path }
        let name = path.dropFirst("/v1/".count)
        return path.hasPrefix("/v1/") && !name.isEmpty && !name.contains("/") && name != "artifacts"
    }

    /// Each status the route returns, with what it means; errors have the
    /// `{"error": {"code", "message"}}` body. Every route also answers 405
    /// (with `Allow`) to another method.
    public var statuses: [(code: Int, meaning: String)] {
        own + [(405, "Another method: the Allow header names the one this path answers.")]
    }

    private var own: [(code: Int, meaning: String)] {
        switch self {
        case .healthz, .openAPI, .metrics: [(200, summary)]
        case .readyz: [(200, summary), (503, "Not ready: loading, or the artifacts failed to load (the message says why).")]
        case .artifacts, .metadata: [(200, summary), (503, "Not ready yet.")]
        case .reload: [(200, "Reloaded, or nothing changed."), (500, "The reload failed; the previous versions keep serving.")]
        case .endpoint:
            [(200, "The endpoint's response."), (400, "The body is not JSON."), (413, "The body is too large."),
             (422, "The request does not follow the endpoint's request_schema (the error names the first failing JSON pointer)."),
             (500, "The cell raised (type, message and an error id; the traceback is in the server log) or its worker crashed."),
             (503, "Not ready; overloaded (every worker and the queue full); or worker_replaced: the request was in flight on a worker "
                  + "that another request's timeout ended. Overloaded and worker_replaced carry Retry-After: retrying is safe."),
             (504, "The cell took longer than its timeout; its worker is replaced.")]
        }
    }
}
