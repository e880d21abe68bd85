import Foundation
import Logging
import SplitbookServer
import SplitbookTestSupport
import Testing

/// What the server's own HTTP/1.1 layer does with what a client library would
/// not send: bytes written by hand on a socket to 127.0.0.1.
@Suite("splitbook serve: HTTP/1.1 on the wire", .serialized)
struct HTTPConnectionTests {
    static func post(_ path: String, _ body: String, extra: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() async throws {
        try await onTheWire { server in
            let connection = try RawHTTP(port: server.port)
            // 100 at once: more than the connection queues, so its reading pauses and resumes.
            connection.send((1...100).map { Self.post("/v1/score", "{\"x\": \($0)}") }.joined() + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            for x in 1...100 {
                let response = try #require(connection.response())
                #expect(response.status == 200)
                #expect(response.body.contains("\"score\":\(2 * x)"), "answer \(x) in order: \(response.body)")
            }
            #expect(connection.response()?.body.contains("alive") == true)
            #expect(!connection.closedByServer, "keep-alive is the default in HTTP/1.1")
        }
    }

    @Test func closeAndHTTP10AreHonoured() async throws {
        try await onTheWire(loaded: false) { server in
            let closing = try RawHTTP(port: server.port)
            closing.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(closing.response()?.headers["connection"] == "close")
            #expect(closing.waitForClose())
            let old = try RawHTTP(port: server.port)
            old.send("GET /healthz HTTP/1.0\r\n\r\n")
            #expect(old.response()?.status == 200)
            #expect(old.waitForClose(), "HTTP/1.0 without keep-alive closes")
            let kept = try RawHTTP(port: server.port)
            kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(kept.response()?.headers["connection"] == "keep-alive")
            #expect(kept.response()?.status == 200)
        }
    }

    @Test func oversizedBodiesAre413WithoutBeingKept() async throws {
        try await onTheWire({ $0.maxBody = 1000 }) { server in
            let connection = try RawHTTP(port: server.port)
            // Chunked, so the size is only known as it arrives: 5 chunks of 400 bytes.
            let chunk = "400\r\n" + String(repeating: " ", count: 0x400) + "\r\n"
            connection.send("POST /v1/score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: chunk, count: 5) + "0\r\n\r\n")
            let chunked = try #require(connection.response())
            #expect(chunked.status == 413 && chunked.body.contains("body_too_large"))
            connection.send(Self.post("/v1/score", #"{"x": 4}"#))
            #expect(connection.response()?.body.contains("\"score\":8") == true, "the connection stays usable")
            // Declared too large with Expect: no 100 Continue; a body sent anyway is dropped as it arrives.
            let declared = try RawHTTP(port: server.port)
            declared.send("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
            declared.send(String(repeating: " ", count: 5000))
            let refused = try #require(declared.response(interim: true))
            #expect(refused.status == 413)
            // Within the limit with Expect: 100 Continue, then the answer.
            let expecting = try RawHTTP(port: server.port)
            expecting.send("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nExpect: 100-continue\r\n\r\n")
            #expect(expecting.response(interim: true)?.status == 100)
            expecting.send(#"{"x": 5}"#)
            #expect(expecting.response()?.body.contains("\"score\":10") == true)
        }
    }

    @Test func malformedRequestsGet400AndTheServerStaysUp() async throws {
        try await onTheWire(loaded: false) { server in
            for garbage in ["GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                            "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n",
                            "POST /v1/score HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"] {
                let connection = try RawHTTP(port: server.port)
                connection.send(garbage)
                #expect(connection.response()?.status == 400, "\(garbage.debugDescription)")
                #expect(connection.waitForClose(), "\(garbage.debugDescription)")
            }
            let after = try RawHTTP(port: server.port)
            after.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(after.response()?.status == 200)
        }
    }

    @Test func aBadRequestAfterPipelinedOnesIsAnswered400AfterThem() async throws {
        try await onTheWire { server in
            let connection = try RawHTTP(port: server.port)
            connection.send(Self.post("/v1/score", #"{"x": 1, "sleep": 0.2}"#) + Self.post("/v1/score", #"{"x": 2}"#) + "GARBAGE\r\n\r\n"
                            + Self.post("/v1/score", #"{"x": 3}"#))
            let answers = (0..<3).compactMap { _ in connection.response() }
            #expect(answers.map(\.status) == [200, 200, 400], "\(answers)")
            #expect(answers.first?.body.contains("\"score\":2") == true && answers.dropFirst().first?.body.contains("\"score\":4") == true)
            #expect(connection.waitForClose(), "nothing after the bad request is answered")
        }
    }

    @Test func silentConnectionsAreClosedAfterTheIdleTimeout() async throws {
        try await onTheWire({ $0.idleTimeout = 0.5 }) { server in
            let silent = try RawHTTP(port: server.port, timeout: 5)
            let started = Date()
            #expect(silent.waitForClose())
            #expect(Date().timeIntervalSince(started) < 4)
            let halfSent = try RawHTTP(port: server.port, timeout: 5)
            halfSent.send("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"x\"")
            #expect(halfSent.waitForClose(), "a request that stops arriving does not hold the connection")
            // A request slower than the idle timeout is answered: waiting for the answer is not idleness.
            let waiting = try RawHTTP(port: server.port, timeout: 5)
            waiting.send(Self.post("/v1/score", #"{"x": 1, "sleep": 1.2}"#))
            #expect(waiting.response()?.status == 200)
        }
    }

    @Test func aStopFinishesTheRequestInProgress() async throws {
        let gate = Gate(in: FileManager.default.temporaryDirectory)
        defer { gate.remove() }
        try await onTheWire(timeout: 60) { server in
            let port = server.port
            let idle = try RawHTTP(port: port, timeout: 5)
            idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(idle.response()?.status == 200)
            let busy = try RawHTTP(port: port, timeout: 30)
            busy.send(Self.post("/v1/score", #"{"x": 3, "gate": "\#(gate.path)"}"#))
            #expect(await gate.reached())
            let stopped = Flag()
            let stopping = Task {
                await server.stop()
                stopped.set()
            }
            // The idle connection is closed at once; the stop then waits while the request is held at the gate.
            #expect(await eventually(seconds: 60) { idle.serverHasClosed() }, "an idle connection is closed at once")
            try await Task.sleep(for: .milliseconds(300))
            #expect(!stopped.isSet, "the stop waits for the request in progress")
            gate.open()
            await stopping.value
            let answered = try #require(busy.response())
            #expect(answered.status == 200 && answered.body.contains("\"score\":6"))
            #expect(answered.headers["connection"] == "close", "the last answer on a stopping server")
            #expect(busy.waitForClose())
            #expect(throws: (any Error).self, "no longer listening") { try RawHTTP(port: port) }
        }
    }

    /// The served project's server (the endpoint's `timeout` in seconds) with its workers loaded (unless not `loaded`), on a port the
    /// system picks on 127.0.0.1; stopped, workers and project removed, after `body`.
    private func onTheWire(_ configure: (inout ServingOptions) -> Void = { _ in }, loaded: Bool = true, timeout: Int = 2,
                           _ body: (HTTPServer) async throws -> Void) async throws {
        let served = try ServedProject(timeout: timeout)
        defer { served.project.remove() }
        let serving = try served.serving(configure)
        if loaded { _ = await serving.load() }
        let server = try await HTTPServer.start(serving, host: "127.0.0.1", port: 0)
        do {
            try await body(server)
        } catch {
            await server.stop()
            await serving.shutdown()
            throw error
        }
        await server.stop()
        await serving.shutdown()
    }
}
