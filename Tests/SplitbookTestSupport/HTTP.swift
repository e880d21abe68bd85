import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A minimal blocking HTTP client for live tests against 127.0.0.1.
public enum HTTP {
    /// Sends a request; returns status and body, or nil when nothing answered.
    public static func request(_ method: String, _ url: String, body: String? = nil, timeout: Double = 10) -> (status: Int, body: String)? {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String)?
        URLSession.shared.dataTask(with: request) { data, response, _ in
            if let response = response as? HTTPURLResponse {
                result = (response.statusCode, String(decoding: data ?? Data(), as: UTF8.self))
            }
            done.signal()
        }.resume()
        done.wait()
        return result
    }

    /// An answer: status, body, and its headers by lowercased name.
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var headers: [String: String]

        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// Sends a request without blocking a thread; throws when nothing answered.
    public static func send(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:],
                            timeout: Double = 30) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                guard let response = response as? HTTPURLResponse else {
                    return continuation.resume(throwing: error ?? URLError(.badServerResponse))
                }
                var headers: [String: String] = [:]
                for (name, value) in response.allHeaderFields {
                    if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
                }
                continuation.resume(returning: Reply(status: response.statusCode, body: String(decoding: data ?? Data(), as: UTF8.self),
                                                     headers: headers))
            }.resume()
        }
    }

    /// Polls `url` until it answers `status` (up to `seconds`).
    public static func wait(for url: String, status: Int = 200, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if request("GET", url, timeout: 2)?.status == status { return true }
            usleep(100_000)
        }
        return false
    }

    /// A TCP port on 127.0.0.1 that is free right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
