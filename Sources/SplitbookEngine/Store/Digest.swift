import Crypto
import Foundation

/// A SHA-256 content digest, written as 64 lowercase hex digits.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let hex: String

    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return nil
        }
        self.hex = hex
    }

    init(_ digest: SHA256.Digest) {
        var out = ""
        out.reserveCapacity(64)
        for byte in digest {
            out.append(Digest.hexDigits[Int(byte >> 4)])
            out.append(Digest.hexDigits[Int(byte & 0x0F)])
        }
        self.hex = out
    }

    private static let hexDigits = Array("0123456789abcdef")

    /// The digest of some bytes (the same as `FileHasher` gives a file holding them).
    public static func of(_ data: some DataProtocol) -> Digest {
        let size = Int64(data.count)
        guard size >= FileHasher.chunkedThreshold else { return Digest(SHA256.hash(data: data)) }
        var chunks: [SHA256.Digest] = []
        var start = data.startIndex
        while start != data.endIndex {
            let end = data.index(start, offsetBy: Int(min(FileHasher.chunkSize, Int64(data.distance(from: start, to: data.endIndex)))))
            chunks.append(SHA256.hash(data: data[start..<end]))
            start = end
        }
        return chunked(size: size, chunks: chunks)
    }

    /// The digest of content of 64 MiB or more: SHA-256 over a header naming
    /// the scheme and the size, then the SHA-256 of each 16 MiB chunk in order.
    /// Chunks hash in parallel; any change to any byte changes the result.
    static func chunked(size: Int64, chunks: [SHA256.Digest]) -> Digest {
        var hasher = SHA256()
        hasher.update(data: Data("splitbook-chunked-sha256 1 \(FileHasher.chunkSize) \(size)\n".utf8))
        for chunk in chunks { chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) } }
        return Digest(hasher.finalize())
    }

    /// The digest of a string's UTF-8 bytes.
    public static func of(_ text: String) -> Digest { of(Data(text.utf8)) }

    public var description: String { hex }
    /// The first 12 hex digits, for people.
    public var short: String { String(hex.prefix(12)) }
    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a SHA-256 digest: \(text)"))
        }
        self = digest
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
