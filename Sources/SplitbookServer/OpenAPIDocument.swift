import SplitbookEngine
import SplitbookSpec

/// The OpenAPI 3.1 description of what a server serves: one path per endpoint,
/// the first sample as the request example.
enum OpenAPIDocument {
    static func make(plan: ServingPlan?) -> JSONValue {
        let error: JSONValue = .object(["type": .string("object"), "required": .array([.string("error")]),
                                        "properties": .object(["error": .object(["type": .string("object"), "properties": .object([
                                            "code": .object(["type": .string("string")]), "message": .object(["type": .string("string")]),
                                        ])])])])
        func errorResponse(_ description: String) -> JSONValue {
            .object(["description": .string(description),
                     "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/Error")])])])])
        }
        var paths: [String: JSONValue] = [:]
        for endpoint in plan?.endpoints ?? [] {
            var media: [String: JSONValue] = ["schema": .object([:])]
            if let sample = endpoint.samples.first { media["example"] = sample }
            paths["/v1/\(endpoint.name)"] = .object(["post": .object([
                "operationId": .string(endpoint.name),
                "summary": .string("Online cell chain: " + endpoint.chain.map(\.cell.id.value.rawValue).joined(separator: " -> ")),
                "requestBody": .object(["required": .bool(true), "content": .object(["application/json": .object(media)])]),
                "responses": .object([
                    "200": .object(["description": .string("The endpoint's response."),
                                    "content": .object(["application/json": .object(["schema": .object([:])])])]),
                    "400": errorResponse("The body is not JSON."),
                    "413": errorResponse("The body is too large."),
                    "500": errorResponse("The cell raised or its worker crashed."),
                    "503": errorResponse("Not ready, or overloaded."),
                    "504": errorResponse("The cell took too long."),
                ]),
            ])])
        }
        for (path, summary) in [("/healthz", "Alive"), ("/readyz", "Ready: artifacts verified and workers loaded"), ("/metrics", "Prometheus metrics"),
                                ("/v1/artifacts", "Artifact versions served"), ("/metadata", "What is served")] {
            paths[path] = .object(["get": .object(["summary": .string(summary), "responses": .object([
                "200": .object(["description": .string(summary)]),
            ])])])
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object(["title": .string("splitbook: \(plan?.notebook ?? "notebook")"), "version": .string("1")]),
            "paths": .object(paths),
            "components": .object(["schemas": .object(["Error": error])]),
        ])
    }
}
