import Foundation
import NIOCore
import NIOHTTP1
import SplitbookSpec

/// One request as the connection collected it.
public struct ServedRequest: Sendable {
    public var method: HTTPMethod
    /// The path, without the query.
    public var path: String
    /// The body; nil when it was larger than `serve --max-body` (and was dropped as it arrived).
    public var body: ByteBuffer?
    /// `X-Request-ID` as the client sent it, or generated (`RequestID`).
    public var id: String

    public init(method: HTTPMethod, uri: String, body: ByteBuffer?, id: String) {
        self.method = method
        self.path = uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
        self.body = body
        self.id = id
    }
}

/// One response: status, headers besides the framing ones, body.
public struct ServedResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body.
    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> ServedResponse {
        ServedResponse(status: status, headers: ["content-type": "application/json"], body: ByteBuffer(string: value.canonicalJSON))
    }

    /// `{"error": {"code", "message", ...}}`; `details` adds fields (`type`, `id`, `pointer`).
    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String, _ details: [String: JSONValue] = [:]) -> ServedResponse {
        json(status, .object(["error": .object(details.merging(["code": .string(code), "message": .string(message)]) { $1 })]))
    }

    /// With `Retry-After: 1`: a 503 the client should simply retry.
    func retryLater() -> ServedResponse {
        var response = self
        response.headers.replaceOrAdd(name: "retry-after", value: "1")
        return response
    }
}

/// `X-Request-ID`: taken from the request when it is a sane token (at most
/// 128 letters, digits, `-`, `_`, `.`), else generated; the response carries
/// it back, and logs and error ids use it.
public enum RequestID {
    public static let header = "X-Request-ID"

    /// The id of a request that sent `headers`.
    static func of(_ headers: HTTPHeaders) -> String {
        headers.first(name: header).flatMap(sane) ?? generate()
    }

    static func sane(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= 128,
              id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { return nil }
        return id
    }

    /// 16 hexadecimal digits, distinct for every request of this process: a
    /// counter from a random start, scrambled by SplitMix64's finalizer (a
    /// bijection). Drawing each from the system's generator cost a
    /// `getrandom` call per request.
    static func generate() -> String {
        var z = counterLock.withLock {
            counter &+= 0x9E37_79B9_7F4A_7C15
            return counter
        }
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let hex = String(z, radix: 16)
        return String(repeating: "0", count: 16 - hex.utf8.count) + hex
    }

    private static let counterLock = NSLock()
    private nonisolated(unsafe) static var counter = UInt64.random(in: 0...UInt64.max)
}
