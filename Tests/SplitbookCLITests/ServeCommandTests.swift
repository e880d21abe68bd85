import Foundation
import SplitbookTestSupport
import Testing

@Suite("splitbook serve, live on 127.0.0.1 (the real binary)", .serialized)
struct ServeCommandTests {
    /// A project with the model published and promoted, and a server started on a free port.
    func start(_ p: Project, workers: Int = 1) throws -> (Process, String) {
        #expect(try p.splitbook(["run", p.notebook, "--only", "train"]).status == 0)
        #expect(try p.splitbook(["registry", "promote", "model@1", "production"]).status == 0)
        let port = HTTP.freePort()
        let server = try launch(p, ["serve", p.notebook, "--port", "\(port)", "--workers", "\(workers)"],
                                environment: Self.environment(p))
        let base = "http://127.0.0.1:\(port)"
        #expect(HTTP.wait(for: base + "/readyz"), "the server never became ready")
        return (server, base)
    }

    /// The environment of a project's server: HOME inside the project (the cell writes $HOME/loads).
    static func environment(_ p: Project) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = p.url.path
        return env
    }

    @Test func sigtermFinishesInFlightRequestsThenExits() throws {
        let p = try Project(servedNotebook.replacingOccurrences(of: "timeout: 2", with: "timeout: 60"))
        defer { p.remove() }
        let (server, base) = try start(p)
        let gate = Gate(in: p.url)
        nonisolated(unsafe) var slow: (status: Int, body: String)?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            slow = HTTP.request("POST", base + "/v1/score", body: #"{"x": 4, "gate": "\#(gate.path)"}"#, timeout: 60)
            done.signal()
        }
        #expect(gate.reached())
        kill(server.processIdentifier, SIGTERM)
        // It stops listening at once, and does not exit while the request is held at the gate.
        #expect(eventually { HTTP.request("GET", base + "/healthz", timeout: 2) == nil }, "no longer listening")
        usleep(300_000)
        #expect(server.isRunning, "it waits for the request in progress")
        gate.open()
        done.wait()
        #expect(slow?.status == 200, "the in-flight request was answered")
        #expect(slow?.body == #"{"score":8}"#)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    @Test func sighupSwapsInAPromotedVersion() throws {
        let p = try Project(servedNotebook)
        defer { p.remove() }
        let (server, base) = try start(p)
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        #expect(HTTP.request("POST", base + "/v1/score", body: #"{"x": 1}"#)?.body == #"{"score":2}"#)
        #expect(try p.splitbook(["run", p.notebook, "--only", "train", "-p", "weight=5"]).status == 0)
        #expect(try p.splitbook(["registry", "promote", "model@2", "production"]).status == 0)
        kill(server.processIdentifier, SIGHUP)
        var swapped = false
        for _ in 0..<100 where !swapped {
            swapped = HTTP.request("POST", base + "/v1/score", body: #"{"x": 1}"#)?.body == #"{"score":5}"#
            if !swapped { usleep(100_000) }
        }
        #expect(swapped)
        #expect(HTTP.request("GET", base + "/v1/artifacts")?.body.contains("\"version\":2") == true)
        #expect(HTTP.request("GET", base + "/healthz")?.status == 200)
    }
}

@Suite("splitbook serve of a bundle directory; SPLITBOOK_REGISTRY (the real binary)", .serialized)
struct ServeBundleTests {
    @Test func aDirectoryWithNotebookYamlIsServedFromTheRegistryInTheEnvironment() throws {
        let p = try Project(servedNotebook)
        defer { p.remove() }
        var env = ServeCommandTests.environment(p)
        env["SPLITBOOK_REGISTRY"] = p.url.appendingPathComponent("elsewhere").path
        #expect(try p.splitbook(["run", p.notebook, "--only", "train"], environment: env).status == 0)
        #expect(FileManager.default.fileExists(atPath: p.url.appendingPathComponent("elsewhere/model/versions/1/lineage.json").path))
        #expect(try p.splitbook(["registry", "promote", "model@1", "production"], environment: env).status == 0)
        // The online half alone, as a bundle: its notebook.yaml holds only the online cell.
        let online = servedNotebook.components(separatedBy: "  - id: score")[1]
        try p.write("bundle/notebook.yaml", "cells:\n  - id: score" + online)
        let port = HTTP.freePort()
        let server = try launch(p, ["serve", "bundle", "--port", "\(port)"], environment: env)
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        #expect(HTTP.wait(for: "http://127.0.0.1:\(port)/readyz"))
        #expect(HTTP.request("POST", "http://127.0.0.1:\(port)/v1/score", body: #"{"x": 3}"#)?.body == #"{"score":6}"#)
    }
}
