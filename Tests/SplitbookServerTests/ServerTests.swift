import Foundation
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

    /// With the load waiting at `loadGate`, and the endpoint's `timeout` in seconds (2 unless given).
    init(loadGate: Gate? = nil, timeout: Int = 2) throws {
        project = try Project(servedNotebook
            .replacingOccurrences(of: "LOAD_GATE: \"\"", with: "LOAD_GATE: \"\(loadGate?.path ?? "")\"")
            .replacingOccurrences(of: "timeout: 2", with: "timeout: \(timeout)"))
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

/// `serving` behind a real HTTP server on 127.0.0.1 (a port the system picks), stopped after `body`.
func withServer(_ serving: ServingApplication, _ body: (Client) async throws -> Void) async throws {
    let server = try await HTTPServer.start(serving, host: "127.0.0.1", port: 0)
    do {
        try await body(Client(port: server.port))
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Requests to one server.
struct Client: Sendable {
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    func post(_ path: String, _ body: String, headers: [String: String] = [:]) async throws -> HTTP.Reply {
        try await HTTP.send("POST", base + path, body: body, headers: headers)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTP.Reply {
        try await HTTP.send("GET", base + path, headers: headers)
    }
}

@Suite("splitbook serve: the HTTP API", .serialized)
struct ServerTests {
    @Test func everyStatusCodeOfTheContract() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving { $0.maxBody = 64; $0.timeout = 1 }
        try await withServer(serving) { client in
            #expect(try await client.get("/healthz").status == 200)
            let notReady = try await client.get("/readyz")
            #expect(notReady.status == 503)
            #expect(notReady.body.contains("\"code\":\"not_ready\""))
            #expect(try await client.post("/v1/score", #"{"x": 1}"#).status == 503)

            #expect(await serving.load() == "serving model@production v1")
            #expect(try await client.get("/readyz").status == 200)
            let ok = try await client.post("/v1/score", #"{"x": 21}"#)
            #expect(ok.status == 200)
            #expect(ok.body.contains("\"score\":42"))
            let bad = try await client.post("/v1/score", "{nope")
            #expect(bad.status == 400 && bad.body.contains("\"code\":\"bad_json\""))
            let unknown = try await client.post("/v1/nothing", "{}")
            #expect(unknown.status == 404 && unknown.body.contains("\"code\":\"unknown_endpoint\""))
            let noRoute = try await client.get("/v2/what")
            #expect(noRoute.status == 404 && noRoute.body.hasPrefix("{\"error\":"))
            let big = try await client.post("/v1/score", "{\"x\": 1, \"pad\": \"" + String(repeating: "a", count: 200) + "\"}")
            #expect(big.status == 413 && big.body.contains("\"code\":\"body_too_large\""))
            let raised = try await client.post("/v1/score", #"{"x": 1, "raise": true}"#)
            #expect(raised.status == 500 && raised.body.contains("ValueError: asked to raise"))
            let slow = try await client.post("/v1/score", #"{"x": 1, "sleep": 3}"#)
            #expect(slow.status == 504 && slow.body.contains("\"code\":\"timeout\""))
            #expect(try await client.post("/v1/score", #"{"x": 2}"#).status == 200, "the server stays up")
        }
        await serving.shutdown()
    }

    @Test func eachWorkerLoadsTheCellOnce() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let loadsBefore = served.loads
        let serving = try served.serving()
        _ = await serving.load()
        try await withServer(serving) { client in
            for x in 0..<20 {
                let status = try await client.post("/v1/score", "{\"x\": \(x)}").status
                #expect(status == 200)
            }
        }
        #expect(served.loads - loadsBefore == 2, "two workers, each loaded once, for 20 requests")
        await serving.shutdown()
    }

    @Test func aCrashedWorkerIsRestartedAndTheServerStaysUp() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving { $0.workers = 1 }
        let loaded = await serving.load()
        try await withServer(serving) { client in
            let crash = try await client.post("/v1/score", #"{"x": 1, "crash": true}"#)
            #expect(crash.status == 500 && crash.body.contains("\"code\":\"worker_crashed\""), "\(loaded): \(crash.body)")
            var recovered = false
            for _ in 0..<50 where !recovered {
                recovered = try await client.post("/v1/score", #"{"x": 1}"#).status == 200
                if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(recovered)
            let metrics = try await client.get("/metrics").body
            #expect(metrics.contains("splitbook_worker_restarts_total{endpoint=\"score\"} 1"))
            #expect(metrics.contains("splitbook_requests_total{endpoint=\"score\",code=\"500\"} 1"))
            #expect(metrics.contains("splitbook_request_duration_seconds_bucket{endpoint=\"score\""))
        }
        await serving.shutdown()
    }

    @Test func aFullQueueAnswers503() async throws {
        let served = try ServedProject(timeout: 60)
        defer { served.project.remove() }
        let serving = try served.serving { $0.workers = 1; $0.maxInflight = 1; $0.queueLimit = 0 }
        _ = await serving.load()
        try await withServer(serving) { client in
            // The only lane is held by a request waiting at a gate while the probe comes.
            let gate = Gate(in: served.project.url)
            let slow = try RawHTTP(port: client.port)
            slow.send(HTTPConnectionTests.post("/v1/score", #"{"x": 1, "gate": "\#(gate.path)"}"#))
            #expect(await gate.reached())
            let rejected = try await client.post("/v1/score", #"{"x": 1}"#)
            gate.open()
            #expect(rejected.status == 503 && rejected.body.contains("\"code\":\"overloaded\""), "\(rejected)")
            #expect(rejected.header("Retry-After") == "1")
            #expect(slow.response()?.status == 200)
        }
        await serving.shutdown()
    }

    @Test func aSlowHandlersRequestWaitsForTheFirstWorkerToFree() async throws {
        let served = try ServedProject(timeout: 60)
        defer { served.project.remove() }
        let serving = try served.serving { $0.workers = 2 }
        _ = await serving.load()
        try await withServer(serving) { client in
            // A window of answers of 2 ms or more (LanePool.floorWindow is 64): the pool learns the
            // handler is slow (over LanePool.lateBindingAbove, 0.5 ms).
            for _ in 0..<70 { _ = try await client.post("/v1/score", #"{"x": 1, "sleep": 0.002}"#) }
            let (held, freed) = (Gate(in: served.project.url), Gate(in: served.project.url))
            let first = try RawHTTP(port: client.port)
            first.send(HTTPConnectionTests.post("/v1/score", #"{"x": 1, "gate": "\#(held.path)"}"#))
            #expect(await held.reached())
            let second = try RawHTTP(port: client.port)
            second.send(HTTPConnectionTests.post("/v1/score", #"{"x": 2, "gate": "\#(freed.path)"}"#))
            #expect(await freed.reached())
            // Both workers busy; two more come. Pipelined, one of them would wait behind the held request.
            let later = try (10..<12).map { x in
                let connection = try RawHTTP(port: client.port, timeout: 10)
                connection.send(HTTPConnectionTests.post("/v1/score", "{\"x\": \(x)}"))
                return (x, connection)
            }
            freed.open()
            #expect(second.response()?.status == 200)
            for (x, connection) in later {
                #expect(connection.response()?.body.contains("\"score\":\(2 * x)") == true, "answered by the freed worker while the other is held")
            }
            held.open()
            #expect(first.response()?.status == 200)
        }
        await serving.shutdown()
    }

    @Test func readinessWaitsForTheWorkersToLoadHoweverShortTheirTimeout() async throws {
        let gate = Gate(in: FileManager.default.temporaryDirectory)
        defer { gate.remove() }
        // The cell's `timeout` (1 s) bounds requests, not loading (OnlineChain.loadTime).
        let served = try ServedProject(loadGate: gate, timeout: 1)
        defer { served.project.remove() }
        let serving = try served.serving()
        try await withServer(serving) { client in
            let loading = Task { await serving.load() }
            #expect(await gate.reached())
            let whileLoading = try await client.get("/readyz")
            #expect(whileLoading.status == 503, "not ready while the cell's top level runs")
            try await Task.sleep(for: .milliseconds(1500))
            gate.open()
            let loaded = await loading.value
            let ready = try await client.get("/readyz")
            #expect(ready.status == 200, "\(loaded): \(ready.body)")
        }
        await serving.shutdown()
    }

    @Test func reloadSwapsVersionsWithoutAFailedRequest() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        try served.publish(weight: 10)  // version 2; production still points at 1
        let serving = try served.serving()
        _ = await serving.load()
        try await withServer(serving) { client in
            #expect(try await client.get("/v1/artifacts").body.contains("\"version\":1"))
            let traffic = Task { () -> [Int] in
                var statuses: [Int] = []
                for _ in 0..<60 {
                    statuses.append(try await client.post("/v1/score", #"{"x": 1}"#).status)
                    try await Task.sleep(for: .milliseconds(10))
                }
                return statuses
            }
            try await Task.sleep(for: .milliseconds(150))
            #expect(try served.project.splitbook(["registry", "promote", "model@2", "production"]).status == 0)
            let reload = try await client.post("/admin/reload", "")
            #expect(reload.status == 200 && reload.body.contains("now serving model@production v2"))
            let statuses = try await traffic.value
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(try await client.post("/v1/score", #"{"x": 1}"#).body.contains("\"score\":10"))
            #expect(try await client.get("/v1/artifacts").body.contains("\"version\":2"))
            let metadata = try await client.get("/metadata").body
            #expect(metadata.contains("\"notebook\":\"nb\"") && metadata.contains("\"score\":\""))
        }
        await serving.shutdown()
    }

    @Test func openAPIDescribesEachEndpointWithItsSample() async throws {
        let served = try ServedProject()
        defer { served.project.remove() }
        let serving = try served.serving()
        try await withServer(serving) { client in
            let reply = try await client.get("/openapi.json")
            #expect(reply.status == 200)
            let text = reply.body
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
        try await withServer(serving) { client in
            _ = await serving.load()
            let slow = try await client.post("/v1/score", #"{"x": 1, "sleep": 4}"#)
            #expect(slow.status == 504, "\(slow.body)")
            #expect(slow.body.contains("within 2"), "\(slow.body)")
            // The replaced worker answers again.
            var answered = false
            for _ in 0..<50 where !answered {
                answered = try await client.post("/v1/score", #"{"x": 2}"#).status == 200
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
            try await withServer(serving) { client in
                _ = await serving.load()
                let reply = try await client.post("/v1/score", #"{"x": 1, "raise": true}"#, headers: [RequestID.header: "req-42"])
                let body = reply.body
                #expect(reply.status == 500)
                #expect(reply.header(RequestID.header) == "req-42")
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
        try await withServer(serving) { client in
            let generated = try await client.get("/healthz").header(RequestID.header)
            #expect(generated?.count == 16)
            let hostile = try await client.get("/healthz", headers: [RequestID.header: "a b;<script>"]).header(RequestID.header)
            #expect(hostile != "a b;<script>" && hostile?.count == 16)
            let wrong = try await client.get("/v1/score")
            #expect(wrong.status == 405 && wrong.header("Allow") == "POST")
            #expect(wrong.body.contains("\"code\":\"method_not_allowed\""))
            let reload = try await client.post("/healthz", "")
            #expect(reload.status == 405 && reload.header("Allow") == "GET")
            #expect(try await client.get("/nowhere").status == 404)
        }
    }
}
