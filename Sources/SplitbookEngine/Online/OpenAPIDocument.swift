import SplitbookSpec

/// The OpenAPI 3.1 description of what a server serves: one path per
/// endpoint, its samples as request examples and, when a notebook run
/// answered them, the responses as response examples. `splitbook serve`
/// serves it at `/openapi.json`; the online export writes it to a file.
public enum OpenAPIDocument {
    /// One `POST /v1/NAME` endpoint.
    public struct Endpoint: Sendable {
        public var name: String
        public var chain: [String]
        public var samples: [JSONValue]
        /// The responses a notebook run gave to `samples`, in the same order (may be empty).
        public var responses: [JSONValue]
        /// The endpoint's `request_schema`, if it has one.
        public var requestSchema: JSONValue?

        public init(name: String, chain: [String], samples: [JSONValue], responses: [JSONValue] = [], requestSchema: JSONValue? = nil) {
            self.name = name
            self.chain = chain
            self.samples = samples
            self.responses = responses
            self.requestSchema = requestSchema
        }
    }

    public static func make(plan: ServingPlan?) -> JSONValue {
        make(notebook: plan?.notebook ?? "notebook", endpoints: (plan?.endpoints ?? []).map {
            Endpoint(name: $0.name, chain: $0.chain.map(\.cell.id.value.rawValue), samples: $0.samples,
                     requestSchema: $0.chain.last?.cell.requestSchema?.value)
        })
    }

    public static func make(notebook: String, endpoints: [Endpoint]) -> JSONValue {
        let error: JSONValue = .object(["type": .string("object"), "required": .array([.string("error")]),
                                        "properties": .object(["error": .object(["type": .string("object"), "properties": .object([
                                            "code": .object(["type": .string("string")]), "message": .object(["type": .string("string")]),
                                        ])])])])
        func errorResponse(_ description: String) -> JSONValue {
            .object(["description": .string(description),
                     "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/Error")])])])])
        }
        func responses(_ route: ServingRoute, ok: JSONValue) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: route.statuses.map { status in
                (String(status.code), status.code == 200 ? ok : errorResponse(status.meaning))
            }))
        }
        var paths: [String: JSONValue] = [:]
        func examples(_ values: [JSONValue], _ label: String) -> [String: JSONValue] {
            switch values.count {
            case 0: return [:]
            case 1: return ["example": values[0]]
            default:
                return ["examples": .object(Dictionary(uniqueKeysWithValues: values.enumerated().map {
                    ("\(label)\($0.offset + 1)", .object(["value": $0.element]))
                }))]
            }
        }
        for endpoint in endpoints {
            var media: [String: JSONValue] = ["schema": endpoint.requestSchema ?? .object([:])]
            media.merge(examples(endpoint.samples, "sample")) { $1 }
            var responseMedia: [String: JSONValue] = ["schema": .object([:])]
            responseMedia.merge(examples(endpoint.responses, "sample")) { $1 }
            let route = ServingRoute.endpoint
            paths[route.path.replacingOccurrences(of: "{endpoint}", with: endpoint.name)] = .object([route.method.lowercased(): .object([
                "operationId": .string(endpoint.name),
                "summary": .string("Online cell chain: " + endpoint.chain.joined(separator: " -> ")),
                "requestBody": .object(["required": .bool(true), "content": .object(["application/json": .object(media)])]),
                "responses": responses(route, ok: .object(["description": .string(route.statuses[0].meaning),
                                                           "content": .object(["application/json": .object(responseMedia)])])),
            ])])
        }
        for route in ServingRoute.allCases where route != .endpoint {
            paths[route.path] = .object([route.method.lowercased(): .object([
                "summary": .string(route.summary),
                "responses": responses(route, ok: .object(["description": .string(route.statuses[0].meaning)])),
            ])])
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object(["title": .string("splitbook: \(notebook)"), "version": .string("1")]),
            "paths": .object(paths),
            "components": .object(["schemas": .object(["Error": error])]),
        ])
    }
}
