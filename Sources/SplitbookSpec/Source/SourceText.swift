/// The text of a notebook file with the path the user gave for it.
public struct SourceText: Sendable {
    /// The path as the user gave it (used verbatim in `path:line:col`).
    public let path: String
    public let text: String

    /// The largest notebook file read: 8 MiB. Larger files are refused before
    /// they are decoded or parsed, which bounds the time and memory a notebook
    /// can cost (libyaml holds a whole scalar, and more, in memory).
    public static let maxBytes = 8 << 20

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// Why a file's bytes cannot be a notebook's text, and where.
    public struct DecodingError: Error, Sendable, Equatable {
        public let message: String
        public let location: SourceLocation
    }

    /// Decodes a notebook file's bytes: more than `maxBytes` is refused without
    /// looking at them, invalid UTF-8 at its first bad byte. A leading byte
    /// order mark is dropped, as editors hide it (and count columns after it).
    public init(path: String, bytes: [UInt8]) throws(DecodingError) {
        guard bytes.count <= Self.maxBytes else {
            throw DecodingError(message: "the notebook is larger than \(Self.maxBytes >> 20) MiB (\(Self.maxBytes) bytes), "
                                    + "the most splitbook reads; keep large code or data in files ('file:', 'inputs')",
                                location: SourceLocation(line: 1, column: 1))
        }
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        guard let text = String(validating: body, as: UTF8.self) else {
            let offset = Self.firstInvalidUTF8(body)
            let byte = String(body[body.startIndex + offset], radix: 16, uppercase: true)
            throw DecodingError(message: "the notebook is not UTF-8 text: byte 0x\(byte) here does not start a valid UTF-8 character; "
                                    + "save the file as UTF-8",
                                location: body.withUnsafeBufferPointer { SourceLocation(utf8: $0, offset: offset) })
        }
        self.init(path: path, text: text)
    }

    /// The offset of the first byte of `bytes` that does not begin a valid
    /// UTF-8 sequence, or that begins one cut short or malformed.
    private static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error, .emptyInput: return offset
            }
        }
    }

    /// The text of the given 1-based lines, without their breaks (`\n`, `\r\n`
    /// or `\r`, as an editor counts lines); numbers past the last line are left
    /// out. One pass over the bytes, up to the last line asked for.
    public func lines(_ numbers: Set<Int>) -> [Int: Substring] {
        let wanted = numbers.filter { $0 >= 1 }.sorted()
        guard !wanted.isEmpty else { return [:] }
        var copy = text  // `withUTF8` is mutating; the copy shares the storage
        let ranges = copy.withUTF8 { bytes -> [(line: Int, bytes: Range<Int>)] in
            var ranges: [(line: Int, bytes: Range<Int>)] = []
            var line = 1, start = 0, i = 0
            while true {
                let atEnd = i == bytes.count
                guard atEnd || bytes[i] == 0x0A || bytes[i] == 0x0D else {
                    i += 1
                    continue
                }
                if line == wanted[ranges.count] {
                    ranges.append((line, start..<i))
                    if ranges.count == wanted.count { break }
                }
                if atEnd { break }
                i += bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
                line += 1
                start = i
            }
            return ranges
        }
        let utf8 = text.utf8
        var found: [Int: Substring] = [:]
        for (line, range) in ranges {
            let from = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            found[line] = text[from..<utf8.index(from, offsetBy: range.count)]
        }
        return found
    }
}
