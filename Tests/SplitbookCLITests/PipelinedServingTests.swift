import Foundation
import SplitbookTestSupport
import Testing

/// A Python endpoint that echoes a token with the answering process's pid,
/// and can be asked to sleep or to crash (after a second, so that other
/// requests are in flight on it by then).
let pipelinedNotebook = """
    cells:
      - id: echo
        stage: online
        lang: python
        timeout: 2
        code: |
          import os, time
          def handle(request):
              if request.get("crash"):
                  time.sleep(1)
                  os._exit(3)
              time.sleep(request.get("sleep", 0))
              return {"token": request["token"], "pid": os.getpid()}
        sample: {"token": "sample"}
    """

/// Endpoints with `handle_batch`: one that reports each batch's size, two
/// that break the contract (too few responses, not a list), and one with only `handle`.
let batchingNotebook = """
    cells:
      - id: batched
        stage: online
        lang: python
        max_batch: 8
        max_wait_ms: 50
        code: |
          import time
          def handle_batch(requests):
              time.sleep(0.01)
              return [{"token": r["token"], "batch": len(requests)} for r in requests]
        sample: {"token": "sample"}
      - id: short
        stage: online
        lang: python
        max_wait_ms: 50
        code: |
          def handle_batch(requests):
              return requests[1:]
        sample: {"token": "sample"}
      - id: scalar
        stage: online
        lang: python
        code: |
          def handle_batch(requests):
              return 1
        sample: {"token": "sample"}
      - id: plain
        stage: online
        lang: python
        code: |
          def handle(request):
              return {"token": request["token"]}
        sample: {"token": "sample"}
    """

@Suite("Several requests in flight on one Python worker (the real binary, HTTP on 127.0.0.1)", .serialized)
struct PipelinedServingTests {
    @Test func fiftyConcurrentRequestsToOneWorkerEachGetTheirOwnAnswer() throws {
        let p = try Project(pipelinedNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let clients = try (0..<50).map { _ in try KeepAliveConnection(port: port) }
        let tokens = (0..<50).map { "token-\($0)-\(UInt32.random(in: 0...UInt32.max))" }
        let answers = simultaneously(50) { i in
            clients[i].request("POST", "/v1/echo", body: #"{"token": "\#(tokens[i])", "sleep": 0.01}"#)
        }
        let decoded = answers.map { $0.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] } }
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers)")
        #expect(decoded.map { $0?["token"] as? String } == tokens, "each caller gets the answer to its own request")
        #expect(Set(decoded.map { $0?["pid"] as? Int }).count == 1, "one worker answered them all")
    }

    @Test func aSlowHandlersAnswersReadTogetherLeaveOneByOne() throws {
        let p = try Project(pipelinedNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let clients = try (0..<4).map { _ in try KeepAliveConnection(port: port) }
        let started = Date()
        // The first request keeps the worker busy while the other three arrive: it reads those three at once.
        let answered = simultaneously(4) { i -> Double? in
            if i > 0 { Thread.sleep(forTimeInterval: 0.1) }
            let answer = clients[i].request("POST", "/v1/echo", body: #"{"token": "t\#(i)", "sleep": 0.3}"#)
            return answer?.status == 200 ? Date().timeIntervalSince(started) : nil
        }
        let times = answered.dropFirst().compactMap { $0 }.sorted()
        #expect(times.count == 3, "\(answered)")
        // Written one by one they come 0.3 s apart; held for one write, all three would come at once.
        #expect((times.last ?? 0) - (times.first ?? 0) > 0.4, "\(times)")
    }

    @Test func aCrashWithSeveralRequestsInFlightFailsEachWithAJSONErrorAndLeavesNothingBehind() throws {
        let p = try Project(pipelinedNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let clients = try (0..<5).map { _ in try KeepAliveConnection(port: port) }
        for client in clients { #expect(client.request("POST", "/v1/echo", body: #"{"token": "warm"}"#)?.status == 200) }
        let descriptors = Processes.openDescriptors(server.processIdentifier)
        let processes = Processes.descendants(of: server.processIdentifier).count

        let answers = simultaneously(5) { i in
            if i > 0 { usleep(300_000) }  // the others arrive while the first is on its way to crash
            return clients[i].request("POST", "/v1/echo", body: i == 0 ? #"{"token": "x", "crash": true}"# : #"{"token": "\#(i)"}"#)
        }
        for answer in answers {
            #expect(answer?.status == 500, "\(String(describing: answer))")
            #expect(answer?.body.hasPrefix(#"{"error":"#) == true && answer?.body.contains("worker_crashed") == true, "\(String(describing: answer))")
        }
        #expect(eventually(seconds: 10) { clients[0].request("POST", "/v1/echo", body: #"{"token": "again"}"#)?.status == 200 },
                "the worker is restarted")
        #expect(eventually { Processes.descendants(of: server.processIdentifier).count == processes }, "no process left behind")
        #expect(eventually { Processes.openDescriptors(server.processIdentifier) == descriptors }, "no descriptor left behind")
    }

    @Test func aTimeoutAnswers504AndTheRequestsInFlightWithIt503() throws {
        let p = try Project(pipelinedNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let clients = try (0..<4).map { _ in try KeepAliveConnection(port: port) }
        for client in clients { #expect(client.request("POST", "/v1/echo", body: #"{"token": "warm"}"#)?.status == 200) }
        let descriptors = Processes.openDescriptors(server.processIdentifier)
        let processes = Processes.descendants(of: server.processIdentifier).count
        let answers = simultaneously(4) { i in
            if i > 0 { usleep(300_000) }
            return clients[i].request("POST", "/v1/echo", body: i == 0 ? #"{"token": "slow", "sleep": 5}"# : #"{"token": "\#(i)"}"#)
        }
        #expect(answers[0]?.status == 504 && answers[0]?.body.contains("'echo' did not answer within 2 s") == true,
                "\(String(describing: answers[0]))")
        for answer in answers.dropFirst() {
            #expect(answer?.status == 503 && answer?.body.contains("\"code\":\"worker_replaced\"") == true, "\(String(describing: answer))")
        }
        #expect(eventually(seconds: 10) { clients[0].request("POST", "/v1/echo", body: #"{"token": "again"}"#)?.status == 200 })
        #expect(eventually { Processes.descendants(of: server.processIdentifier).count == processes }, "the timed-out worker is gone")
        #expect(eventually { Processes.openDescriptors(server.processIdentifier) == descriptors }, "no descriptor left behind")
    }

    @Test func aChainOfPythonCellsAnswersConcurrentRequests() throws {
        let p = try Project(onlineNotebook)
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = p.url.path
        #expect(try p.run(environment: env).result.status == 0)
        let port = HTTP.freePort()
        let server = try launch(p, ["serve", p.notebook, "--port", "\(port)", "--workers", "1"], environment: env)
        defer { stop(server) }
        #expect(HTTP.wait(for: "http://127.0.0.1:\(port)/readyz"), "the server never became ready")
        let clients = try (0..<20).map { _ in try KeepAliveConnection(port: port) }
        let answers = simultaneously(20) { i in clients[i].request("POST", "/v1/score", body: #"{"x": \#(i)}"#) }
        #expect(answers.map { $0?.body } == (0..<20).map { #"{"score":\#($0 * $0 * 10)}"# }, "features, then score, for each request")
    }

    @Test func handleBatchAnswersConcurrentRequestsInBatchesEachMatchedToItsCaller() throws {
        let p = try Project(batchingNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let clients = try (0..<40).map { _ in try KeepAliveConnection(port: port) }
        let tokens = (0..<40).map { "token-\($0)-\(UInt32.random(in: 0...UInt32.max))" }
        let answers = simultaneously(40) { i in clients[i].request("POST", "/v1/batched", body: #"{"token": "\#(tokens[i])"}"#) }
        let decoded = answers.map { $0.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] } }
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers)")
        #expect(decoded.map { $0?["token"] as? String } == tokens, "each caller gets the answer to its own request")
        let sizes = decoded.compactMap { $0?["batch"] as? Int }
        #expect(sizes.count == 40 && sizes.allSatisfy { $0 >= 1 && $0 <= 8 }, "max_batch bounds every batch: \(sizes)")
        #expect(sizes.contains { $0 > 1 }, "requests arriving together are batched: \(sizes)")

        let metrics = clients[0].request("GET", "/metrics")?.body ?? ""
        let sum = metrics.split(separator: "\n").first { $0.hasPrefix(#"splitbook_batch_size_sum{endpoint="batched"}"#) }
        #expect(sum.flatMap { Double($0.split(separator: " ").last ?? "") } == 40, "the histogram counts every request: \(metrics)")
        #expect(metrics.contains(#"splitbook_batch_size_bucket{endpoint="batched",le="8.0"} "#), "\(metrics)")

        // A cell with only handle is unaffected: answered one by one, no batches reported.
        let plain = simultaneously(10) { i in clients[i].request("POST", "/v1/plain", body: #"{"token": "\#(tokens[i])"}"#) }
        #expect(plain.map { $0?.body } == tokens.prefix(10).map { #"{"token":"\#($0)"}"# })
        let after = clients[0].request("GET", "/metrics")?.body ?? ""
        #expect(after.contains(#"splitbook_requests_total{endpoint="plain",code="200"} 10"#), "\(after)")
        #expect(!after.contains(#"splitbook_batch_size_count{endpoint="plain"}"#), "\(after)")
    }

    @Test func aHandleBatchThatReturnsTheWrongNumberOfResponsesFailsEachRequestWithAJSONError() throws {
        let p = try Project(batchingNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let clients = try (0..<3).map { _ in try KeepAliveConnection(port: port) }
        let answers = simultaneously(3) { i in clients[i].request("POST", "/v1/short", body: #"{"token": "\#(i)"}"#) }
        for answer in answers {
            #expect(answer?.status == 500, "\(String(describing: answer))")
            #expect(answer?.body.contains("\"code\":\"cell_error\"") == true && answer?.body.contains("handle_batch returned") == true,
                    "\(String(describing: answer))")
        }
        let notAList = clients[0].request("POST", "/v1/scalar", body: #"{"token": "x"}"#)
        #expect(notAList?.status == 500 && notAList?.body.contains("handle_batch returned a int") == true, "\(String(describing: notAList))")
        #expect(clients[0].request("POST", "/v1/plain", body: #"{"token": "after"}"#)?.status == 200)
    }

    @Test func anAnswerThatIsNotJSONFailsThatRequestAndNotTheWorker() throws {
        let p = try Project("""
            cells:
              - id: odd
                stage: online
                lang: python
                code: |
                  import os
                  def handle(request):
                      kind = request.get("kind")
                      values = {"nan": float("nan"), "set": {1, 2}, "cycle": None}
                      if kind == "cycle":
                          loop = []
                          loop.append(loop)
                          return {"v": loop}
                      return {"v": values.get(kind, kind), "pid": os.getpid()}
                sample: {"kind": "fine"}
            """)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1)
        defer { stop(server) }
        let client = try KeepAliveConnection(port: port)
        let before = client.request("POST", "/v1/odd", body: #"{"kind": "fine"}"#)
        for kind in ["nan", "set", "cycle"] {
            let answer = client.request("POST", "/v1/odd", body: #"{"kind": "\#(kind)"}"#)
            #expect(answer?.status == 500, "\(kind): \(String(describing: answer))")
            #expect(answer?.body.contains("response is not JSON") == true, "\(kind): \(String(describing: answer))")
        }
        let after = client.request("POST", "/v1/odd", body: #"{"kind": "fine"}"#)
        #expect(after?.status == 200 && after?.body.contains("\"v\":\"fine\"") == true, "\(String(describing: after))")
        let pid = { (body: String?) in body?.split(separator: ",").first { $0.contains("pid") } }
        #expect(pid(before?.body) != nil && pid(before?.body) == pid(after?.body), "the same worker answered before and after")
    }

    @Test func aNotebookRunSendsAHandleBatchCellItsSamples() throws {
        let p = try Project("""
            cells:
              - id: batched
                stage: online
                lang: python
                max_batch: 4
                code: |
                  def handle_batch(requests):
                      return [{"double": r["x"] * 2} for r in requests]
                sample: {samples: [{"x": 1}, {"x": 21}]}
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.statuses == ["batched": "ran"], "\(run.result.stderr)")
        let samples = try sampleResults(p, run, "batched")["samples"] as? [[String: Any]]
        #expect(samples?.map { $0["response"] as? [String: Int] } == [["double": 2], ["double": 42]])
    }

    /// `--max-inflight 1 --queue 0`: one request at a time on the one worker and nothing waiting,
    /// so of four at once, one is answered and three are turned away with 503 and `Retry-After`.
    @Test func maxInflightAndQueueFlagsBoundTheWork() throws {
        let p = try Project(pipelinedNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, workers: 1, extra: ["--max-inflight", "1", "--queue", "0"])
        defer { stop(server) }
        let clients = try (0..<4).map { _ in try KeepAliveConnection(port: port) }
        let answers = simultaneously(4) { i in clients[i].request("POST", "/v1/echo", body: #"{"token": "t\#(i)", "sleep": 0.5}"#) }
        let statuses = answers.map { $0?.status ?? 0 }.sorted()
        #expect(statuses == [200, 503, 503, 503], "\(answers)")
        #expect(answers.filter { $0?.status == 503 }.allSatisfy { $0?.body.contains("overloaded") == true }, "\(answers)")
        let after = try KeepAliveConnection(port: port).request("POST", "/v1/echo", body: #"{"token": "after"}"#)
        #expect(after?.status == 200, "the endpoint answers again once the request in flight is done")
    }

    func serve(_ p: Project, workers: Int, extra: [String] = []) throws -> (Process, Int) {
        let port = HTTP.freePort()
        let server = try launch(p, ["serve", p.notebook, "--port", "\(port)", "--workers", "\(workers)"] + extra)
        #expect(HTTP.wait(for: "http://127.0.0.1:\(port)/readyz"), "the server never became ready")
        return (server, port)
    }

    func stop(_ server: Process) {
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }
}

/// Runs `body(i)` for each `i` in `0..<count`, each on a thread of its own, all at once; the results in order.
func simultaneously<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Results<T>(count)
    let done = DispatchGroup()
    for i in 0..<count {
        done.enter()
        Thread.detachNewThread {
            results.set(i, body(i))
            done.leave()
        }
    }
    done.wait()
    return results.values
}

/// Results filled in by several threads.
final class Results<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(_ count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }
    var values: [T] { lock.withLock { slots.map { $0! } } }
}
