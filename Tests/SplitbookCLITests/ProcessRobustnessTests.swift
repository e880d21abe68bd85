import Foundation
import SplitbookTestSupport
import Testing

/// Online shell cells, one endpoint for each way a per-request process can misbehave.
let misbehavingNotebook = """
    cells:
      - id: echo
        stage: online
        code: cat
        sample: {"x": 1}
      - id: deaf
        stage: online
        code: |
          echo '{"ok": true}'
        sample: {"x": 1}
      - id: early
        stage: online
        code: exit 3
        sample: {"x": 1}
      - id: garbage
        stage: online
        code: |
          cat > /dev/null; echo nope
        sample: {"x": 1}
      - id: flood
        stage: online
        code: |
          cat > /dev/null; yes
        sample: {"x": 1}
      - id: hang
        stage: online
        code: |
          cat > /dev/null; sleep 300
        sample: {"x": 1}
      - id: mute
        stage: online
        code: |
          cat > /dev/null; exec >&-; sleep 300
        sample: {"x": 1}
    """

@Suite("Processes: broken pipes, per-request cells under load, cells outliving a killed run (the real binary)", .serialized)
struct ProcessRobustnessTests {
    @Test func anOnlineCellThatDoesNotReadItsRequestFailsTheRunWithAMessage() throws {
        let p = try Project("""
            cells:
              - id: deaf
                stage: online
                code: |
                  echo '{"ok": true}'
                sample: {"x": 1}
              - id: fine
                outputs: [out.txt]
                code: echo fine > out.txt
            """)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 1, "a failed cell, not death by SIGPIPE (141); stderr: \(run.result.stderr)")
        #expect(run.statuses == ["deaf": "failed", "fine": "ran"])
        #expect(run.cell("deaf")?.reasons.contains { $0.contains("the cell exited without reading its request from stdin") } == true,
                "\(run.cell("deaf")?.reasons ?? [])")
    }

    @Test func everyMisbehaviourOfAShellCellGetsAJSONErrorAndLeavesNothingBehind() throws {
        let p = try Project(misbehavingNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, ["--workers", "1", "--timeout", "2"])
        defer { stop(server) }
        let connection = try KeepAliveConnection(port: port)
        let answers = [
            ("echo", 200, #"{"x":1}"#),
            ("deaf", 500, "the cell exited without reading its request from stdin"),
            ("early", 500, "the cell exited with status 3"),
            ("garbage", 500, "the cell's stdout is not one JSON value: nope"),
            ("flood", 500, "the cell wrote more than 16 MiB to stdout"),
            ("hang", 504, "'hang' did not answer within 2 s"),
            ("mute", 504, "'mute' did not answer within 2 s"),
        ]
        for (endpoint, status, text) in answers {
            let answer = connection.request("POST", "/v1/\(endpoint)", body: #"{"x": 1}"#)
            #expect(answer?.status == status, "\(endpoint): \(String(describing: answer))")
            #expect(answer?.body.contains(text) == true, "\(endpoint): \(String(describing: answer))")
            #expect(answer?.body.hasPrefix("{") == true, "\(endpoint): a JSON body")
            #expect(Processes.descendants(of: server.processIdentifier).isEmpty, "\(endpoint) left processes behind")
        }
        #expect(connection.request("GET", "/healthz")?.status == 200)

        // Failures that keep the lane (no restart in the background) leak nothing, however often.
        let before = Processes.openDescriptors(server.processIdentifier)
        for round in 0..<40 {
            for (endpoint, status, _) in answers.prefix(round % 10 == 0 ? 5 : 4) {
                #expect(connection.request("POST", "/v1/\(endpoint)", body: #"{"x": 1}"#)?.status == status)
            }
        }
        #expect(Processes.openDescriptors(server.processIdentifier) == before)
        #expect(Processes.descendants(of: server.processIdentifier).isEmpty)
    }

    @Test func aThousandRequestsToAShellCellLeaveTheDescriptorCountAsItWas() throws {
        let p = try Project(misbehavingNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, ["--workers", "2"])
        defer { stop(server) }
        let connection = try KeepAliveConnection(port: port)
        for n in 0..<20 { _ = connection.request("POST", "/v1/echo", body: "[\(n)]") }
        let before = Processes.openDescriptors(server.processIdentifier)
        var wrong = 0
        for n in 0..<1000 where connection.request("POST", "/v1/echo", body: "[\(n)]")?.body != "[\(n)]" { wrong += 1 }
        #expect(wrong == 0)
        #expect(Processes.openDescriptors(server.processIdentifier) == before, "descriptors before: \(before)")
    }

    @Test func thirtyTwoClientsAtOnceAgainstAShellCellAndTheServerStaysUp() throws {
        let p = try Project(misbehavingNotebook)
        defer { p.remove() }
        let (server, port) = try serve(p, ["--workers", "32"])
        defer { stop(server) }
        let clients = try (0..<32).map { _ in try KeepAliveConnection(port: port) }
        for client in clients { #expect(client.request("POST", "/v1/echo", body: "[]")?.status == 200) }
        let before = Processes.openDescriptors(server.processIdentifier)

        let wrong = Counter()
        let done = DispatchGroup()
        for (c, client) in clients.enumerated() {
            done.enter()
            Thread.detachNewThread {
                for n in 0..<64 where client.request("POST", "/v1/echo", body: "[\(c),\(n)]")?.body != "[\(c),\(n)]" { wrong.add() }
                done.leave()
            }
        }
        done.wait()
        #expect(wrong.value == 0, "requests without their answer")
        #expect(clients[0].request("GET", "/healthz")?.status == 200)
        #expect(Processes.openDescriptors(server.processIdentifier) == before)
        #expect(Processes.descendants(of: server.processIdentifier).isEmpty)
    }

    @Test func killNineOfARunKillsItsCellsAndTheNextRunFindsNoSurvivor() throws {
        // The background process carries the project's path in its command line;
        // each run's cell first looks for one left by an earlier run.
        let p = try Project("""
            cells:
              - id: orphans
                code: |
                  if grep -qs "$HOME/orpha[n]" /proc/[0-9]*/cmdline; then echo found >> "$HOME/survivors"; fi
                  sh -c 'sleep 300; :' "$HOME/orphan" &
                  echo $$ > "$HOME/cell"
                  touch "$HOME/started"
                  sleep 300
            """)
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = p.url.path
        for trial in 1...3 {
            try? FileManager.default.removeItem(at: p.url.appendingPathComponent("started"))
            let run = try launch(p, ["run", p.notebook], environment: env)
            #expect(waitForFile(p, "started"))
            let cell = Int32(p.read("cell")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            let group = Processes.group(of: cell)
            #expect(group != nil && group != run.processIdentifier, "the cell runs in a group of its own")
            kill(run.processIdentifier, SIGKILL)
            run.waitUntilExit()
            guard let group else { continue }
            #expect(eventually { Processes.members(of: group).isEmpty }, "trial \(trial): survivors \(Processes.members(of: group))")
        }
        #expect(p.read("survivors") == nil, "a run found processes of a killed run still running")
    }

    /// Starts `splitbook serve` on the project's notebook and waits until it is ready.
    func serve(_ p: Project, _ options: [String]) throws -> (Process, Int) {
        let port = HTTP.freePort()
        let server = try launch(p, ["serve", p.notebook, "--port", "\(port)"] + options)
        #expect(HTTP.wait(for: "http://127.0.0.1:\(port)/readyz"), "the server never became ready")
        return (server, port)
    }

    func stop(_ server: Process) {
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }
}

/// A count shared by client threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// One keep-alive HTTP/1.1 connection to 127.0.0.1, so that the server's
/// descriptor count does not change with connections coming and going.
final class KeepAliveConnection: @unchecked Sendable {
    struct Refused: Error {}

    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else {
            if fd >= 0 { close(fd) }
            throw Refused()
        }
    }

    deinit { close(fd) }

    /// Sends one request and reads its response; nil if the connection failed.
    func request(_ method: String, _ path: String, body: String = "") -> (status: Int, body: String)? {
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        var bytes = Array((head + body).utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return nil }
            bytes.removeFirst(sent)
        }
        let separator = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = buffer.indices.first { buffer[$0...].starts(with: separator) }
            if headerEnd == nil, !receive() { return nil }
        }
        let header = String(decoding: buffer[..<headerEnd!], as: UTF8.self).lowercased()
        let lines = header.components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }),
              let length = lines.first(where: { $0.hasPrefix("content-length:") }).flatMap({ Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) })
        else { return nil }
        let start = headerEnd! + separator.count
        while buffer.count < start + length { if !receive() { return nil } }
        let text = String(decoding: buffer[start..<start + length], as: UTF8.self)
        buffer.removeFirst(start + length)
        return (status, text)
    }

    private func receive() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }
}
