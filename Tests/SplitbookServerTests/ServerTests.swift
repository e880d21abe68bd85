import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SplitbookEngine
import SplitbookServer
import SplitbookSpec
import SplitbookTestSupport
import Testing


/// A served project: the notebook run once (publishing the model) and promoted to production.
struct ServedProject {
    let project: Project
    let environment: [String: String]

    init(loadSeconds: Double = 0) throws {
        project = try Project(servedNotebook.replacingOccurrences(of: "LOAD_SECONDS: \"0\"", with: "LOAD_SECONDS: \"\(loadSeconds)\""))
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = project.url.path
        environment = env
        // Publish first; the endpoint (which uses model@production) can run once production is set.
        #expect(try project.splitbook(["run", project.notebook, "--only", "train"], environment: env).status == 0)
        #expect(try project.splitbook(["registry", "promote", "model@1", "production"]).status == 0)
    }

    func publish(weight: Int) throws {
        #expect(try project.splitbook(["run", project.notebook, "--only", "train", "-p", "weight=\(weight)"],
                                      environment: environment).status == 0)
    }

    /// The server, in process, with its workers not yet loaded.
    func serving(_ configure: (inout ServingOptions) -> Void = { _ in }) throws -> ServingApplication {
        var options = ServingOptions()
        options.workers = 2
        configure(&options)
        let registry = ArtifactRegistry(root: project.url.appendingPathComponent("outputs/registry"))
        let file = try NotebookFile(path: project.url.appendingPathComponent(project.notebook).path, registryHas: { registry.has($0) })
        let target = ServeTarget(file: file, workspace: try Workspace(root: project.url.appendingPathComponent("outputs")),
                                 registry: registry, environment: environment)
        return ServingApplication.make(target, options: options, logger: Logger(label: "test"), stderrPath: "/dev/null")
    }

    var loads: Int { (project.read("loads") ?? "").split(separator: "\n").count }
}

func post(_ client: some TestClientProtocol, _ path: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
    try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body)) { ($0.status, String(buffer: $0.body)) }
}

func get(_ client: some TestClientProtocol, _ path: String) async throws -> (HTTPResponse.Status, String) {
    try await client.execute(uri: path, method: .get) { ($0.status, String(buffer: $0.body)) }
}

@Suite("splitbook serve: the HTTP API", .serialized)
struct ServerTests {
    @Test func everyStatusCodeOfTheContract() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving { $0.maxBody = 64; $0.timeout = 1 }
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            #expect(try await get(client, "/healthz").0 == .ok)
            let notReady = try await get(client, "/readyz")
            #expect(notReady.0 == .serviceUnavailable)
            #expect(notReady.1.contains("\"code\":\"not_ready\""))
            #expect(try await post(client, "/v1/score", #"{"x": 1}"#).0 == .serviceUnavailable)

            #expect(await serving.load() == "serving model@production v1")
            #expect(try await get(client, "/readyz").0 == .ok)
            let ok = try await post(client, "/v1/score", #"{"x": 21}"#)
            #expect(ok.0 == .ok)
            #expect(ok.1.contains("\"score\":42"))
            let bad = try await post(client, "/v1/score", "{nope")
            #expect(bad.0 == .badRequest && bad.1.contains("\"code\":\"bad_json\""))
            let unknown = try await post(client, "/v1/nothing", "{}")
            #expect(unknown.0 == .notFound && unknown.1.contains("\"code\":\"unknown_endpoint\""))
            let noRoute = try await get(client, "/v2/what")
            #expect(noRoute.0 == .notFound && noRoute.1.hasPrefix("{\"error\":"))
            let big = try await post(client, "/v1/score", "{\"x\": 1, \"pad\": \"" + String(repeating: "a", count: 200) + "\"}")
            #expect(big.0 == .contentTooLarge && big.1.contains("\"code\":\"body_too_large\""))
            let raised = try await post(client, "/v1/score", #"{"x": 1, "raise": true}"#)
            #expect(raised.0 == .internalServerError && raised.1.contains("ValueError: asked to raise"))
            let slow = try await post(client, "/v1/score", #"{"x": 1, "sleep": 3}"#)
            #expect(slow.0 == .gatewayTimeout && slow.1.contains("\"code\":\"timeout\""))
            #expect(try await post(client, "/v1/score", #"{"x": 2}"#).0 == .ok, "the server stays up")
        }
        await serving.shutdown()
    }

    @Test func eachWorkerLoadsTheCellOnce() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let loadsBefore = served.loads
        let serving = try served.serving()
        _ = await serving.load()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            for x in 0..<20 {
                let status = try await post(client, "/v1/score", "{\"x\": \(x)}").0
                #expect(status == .ok)
            }
        }
        #expect(served.loads - loadsBefore == 2, "two workers, each loaded once, for 20 requests")
        await serving.shutdown()
    }

    @Test func aCrashedWorkerIsRestartedAndTheServerStaysUp() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving { $0.workers = 1 }
        _ = await serving.load()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let crash = try await post(client, "/v1/score", #"{"x": 1, "crash": true}"#)
            #expect(crash.0 == .internalServerError && crash.1.contains("\"code\":\"worker_crashed\""))
            var recovered = false
            for _ in 0..<50 where !recovered {
                recovered = try await post(client, "/v1/score", #"{"x": 1}"#).0 == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(recovered)
            let metrics = try await get(client, "/metrics").1
            #expect(metrics.contains("splitbook_worker_restarts_total{endpoint=\"score\"} 1"))
            #expect(metrics.contains("splitbook_requests_total{endpoint=\"score\",code=\"500\"} 1"))
            #expect(metrics.contains("splitbook_request_duration_seconds_bucket{endpoint=\"score\""))
        }
        await serving.shutdown()
    }

    @Test func aFullQueueAnswers503() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving { $0.workers = 1; $0.maxInflight = 1; $0.queueLimit = 0 }
        _ = await serving.load()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            async let slow = post(client, "/v1/score", #"{"x": 1, "sleep": 1}"#)
            try await Task.sleep(for: .milliseconds(300))
            let rejected = try await client.execute(uri: "/v1/score", method: .post, body: ByteBuffer(string: #"{"x": 1}"#)) {
                ($0.status, String(buffer: $0.body), $0.headers[.retryAfter])
            }
            #expect(rejected.0 == .serviceUnavailable && rejected.1.contains("\"code\":\"overloaded\""))
            #expect(rejected.2 == "1", "Retry-After")
            #expect(try await slow.0 == .ok)
        }
        await serving.shutdown()
    }

    @Test func readinessWaitsForTheWorkersToLoad() async throws {
        let served = try ServedProject(loadSeconds: 1.5)
        defer { served.project.remove() }
        let serving = try served.serving()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let loading = Task { await serving.load() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await get(client, "/readyz").0 == .serviceUnavailable, "not ready while the cell's top level runs")
            _ = await loading.value
            #expect(try await get(client, "/readyz").0 == .ok)
        }
        await serving.shutdown()
    }

    @Test func reloadSwapsVersionsWithoutAFailedRequest() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        try served.publish(weight: 10)  // version 2; production still points at 1
        let serving = try served.serving()
        _ = await serving.load()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            #expect(try await get(client, "/v1/artifacts").1.contains("\"version\":1"))
            let traffic = Task { () -> [HTTPResponse.Status] in
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<60 {
                    statuses.append(try await post(client, "/v1/score", #"{"x": 1}"#).0)
                    try await Task.sleep(for: .milliseconds(10))
                }
                return statuses
            }
            try await Task.sleep(for: .milliseconds(150))
            #expect(try served.project.splitbook(["registry", "promote", "model@2", "production"]).status == 0)
            let reload = try await post(client, "/admin/reload", "")
            #expect(reload.0 == .ok && reload.1.contains("now serving model@production v2"))
            let statuses = try await traffic.value
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
            #expect(try await post(client, "/v1/score", #"{"x": 1}"#).1.contains("\"score\":10"))
            #expect(try await get(client, "/v1/artifacts").1.contains("\"version\":2"))
            let metadata = try await get(client, "/metadata").1
            #expect(metadata.contains("\"notebook\":\"nb\"") && metadata.contains("\"score\":\""))
        }
        await serving.shutdown()
    }

    @Test func openAPIDescribesEachEndpointWithItsSample() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let (status, text) = try await get(client, "/openapi.json")
            #expect(status == .ok)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(doc["openapi"] as? String == "3.1.0")
            let paths = try #require(doc["paths"] as? [String: Any])
            let post = try #require((paths["/v1/score"] as? [String: Any])?["post"] as? [String: Any])
            let example = (((post["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["example"]
            #expect(example as? [String: Int] == ["x": 1])
            #expect((post["responses"] as? [String: Any])?.keys.sorted() == ["200", "400", "405", "413", "422", "500", "503", "504"])
            let ready = try #require((paths["/readyz"] as? [String: Any])?["get"] as? [String: Any])
            #expect((ready["responses"] as? [String: Any])?.keys.sorted() == ["200", "405", "503"])
        }
    }

    @Test func aCellsOwnTimeoutBoundsItsRequests() async throws {
        let served = try ServedProject()  // score has `timeout: 2`
        defer { served.project.remove() }
        let serving = try served.serving { $0.timeout = 30 }
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            _ = await serving.load()
            let slow = try await post(client, "/v1/score", #"{"x": 1, "sleep": 4}"#)
            #expect(slow.0 == .gatewayTimeout, "\(slow.1)")
            #expect(slow.1.contains("within 2"), "\(slow.1)")
            // The replaced worker answers again.
            var answered = false
            for _ in 0..<50 where !answered {
                answered = try await post(client, "/v1/score", #"{"x": 2}"#).0 == .ok
                if !answered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(answered)
        }
        await serving.shutdown()
    }

    @Test func errorsCarryTypeAndIdButNoTraceback() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        for debug in [false, true] {
            let serving = try served.serving { $0.debug = debug }
            let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
            try await app.test(.router) { client in
                _ = await serving.load()
                let (head, body) = try await client.execute(uri: "/v1/score", method: .post, headers: [RequestIDMiddleware.header: "req-42"],
                                                           body: ByteBuffer(string: #"{"x": 1, "raise": true}"#)) { ($0, String(buffer: $0.body)) }
                #expect(head.status == .internalServerError)
                #expect(head.headers[RequestIDMiddleware.header] == "req-42")
                let error = try #require(((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["error"]) as? [String: Any])
                #expect(error["type"] as? String == "ValueError")
                #expect(error["id"] as? String == "req-42")
                #expect((error["message"] as? String)?.contains("asked to raise") == true)
                #expect(body.contains("Traceback") == debug, "\(body)")
                #expect(body.contains(served.project.url.path) == debug, "the server's paths stay out of production bodies")
            }
            await serving.shutdown()
        }
    }

    @Test func requestIDsAreEchoedOrGeneratedAndWrongMethodsGet405() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving()
        let app = buildApplication(serving, options: ServingOptions(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let generated = try await client.execute(uri: "/healthz", method: .get) { $0.headers[RequestIDMiddleware.header] }
            #expect(generated?.count == 16)
            let hostile = try await client.execute(uri: "/healthz", method: .get, headers: [RequestIDMiddleware.header: "a b;<script>"]) {
                $0.headers[RequestIDMiddleware.header]
            }
            #expect(hostile != "a b;<script>" && hostile?.count == 16)
            let wrong = try await client.execute(uri: "/v1/score", method: .get) { ($0.status, $0.headers[.allow], String(buffer: $0.body)) }
            #expect(wrong.0 == .methodNotAllowed && wrong.1 == "POST")
            #expect(wrong.2.contains("\"code\":\"method_not_allowed\""))
            let reload = try await client.execute(uri: "/healthz", method: .post) { ($0.status, $0.headers[.allow]) }
            #expect(reload.0 == .methodNotAllowed && reload.1 == "GET")
            #expect(try await get(client, "/nowhere").0 == .notFound)
        }
    }
}
