import Foundation

/// A TCP connection to 127.0.0.1 that sends bytes exactly as given and reads
/// HTTP/1.1 responses back: for tests of what a client library would not send
/// (pipelined requests, broken request lines, half-sent bodies).
public final class RawHTTP {
    /// One response as read off the wire.
    public struct Response: Sendable {
        public var status: Int
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: String
    }

    private let fd: Int32
    private var received: [UInt8] = []
    /// Whether the server closed the connection (a read returned 0).
    public private(set) var closedByServer = false

    /// Connects; reads give up after `timeout` seconds without data.
    public init(port: Int, timeout: Double = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `text` as it is (CRLFs included).
    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// The next response (its body by `Content-Length`), or nil when the
    /// connection closed or went quiet first. Skips `100 Continue` unless `interim`.
    public func response(interim: Bool = false) -> Response? {
        while true {
            if let (response, length) = parse() {
                received.removeFirst(length)
                if response.status == 100, !interim { continue }
                return response
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { closedByServer = true }
            if n <= 0 { return nil }
            received += chunk[..<n]
        }
    }

    /// Whether the server has closed the connection, without waiting (bytes that arrived are kept).
    public func serverHasClosed() -> Bool { readUntilClosed(flags: Int32(MSG_DONTWAIT)) }

    /// Whether the server closes the connection within the read timeout (bytes that arrive are kept).
    public func waitForClose() -> Bool { readUntilClosed(flags: 0) }

    /// Reads until the server closes (true) or a read finds nothing (false: timed out, or nothing yet with MSG_DONTWAIT).
    private func readUntilClosed(flags: Int32) -> Bool {
        while !closedByServer {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, flags) }
            if n == 0 { closedByServer = true }
            if n < 0 { return false }
            if n > 0 { received += chunk[..<n] }
        }
        return true
    }

    /// A complete response at the start of what was received, and its length in bytes.
    private func parse() -> (Response, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = received.indices.dropLast(3).first(where: { Array(received[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: received[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + 4
        guard received.count >= bodyStart + length else { return nil }
        return (Response(status: status, headers: headers, body: String(decoding: received[bodyStart..<bodyStart + length], as: UTF8.self)),
                bodyStart + length)
    }
}
