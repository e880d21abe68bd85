/// The HTML5 named character references, read once from the packed table.
enum EntityTable {
    /// Each entity name (without `&` and `;`) and its UTF-8 bytes.
    static let byName: [String: [UInt8]] = {
        var table: [String: [UInt8]] = [:]
        for entry in packed.split(separator: ";") {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            var bytes: [UInt8] = []
            for hex in entry[entry.index(after: equals)...].split(separator: ",") {
                if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
            table[String(entry[..<equals])] = bytes
        }
        return table
    }()
}

/// Entity and numeric character references (CommonMark §2.5) and backslash escapes.
enum CharacterReference {
    /// A reference starting at `start` (which holds `&`) in `s[..<end]`: its decoded
    /// bytes and the position after its `;`, or nil when there is none.
    static func decode(_ s: [UInt8], at start: Int, end: Int) -> (bytes: [UInt8], next: Int)? {
        var pos = start + 1
        guard pos < end else { return nil }
        if s[pos] == UInt8(ascii: "#") {
            pos += 1
            var hex = false
            if pos < end, s[pos] | 0x20 == UInt8(ascii: "x") { hex = true; pos += 1 }
            let digitsStart = pos
            var value: UInt32 = 0
            while pos < end, pos - digitsStart < (hex ? 6 : 7), let digit = digitValue(s[pos], hex: hex) {
                value = value * (hex ? 16 : 10) + digit
                pos += 1
            }
            guard pos > digitsStart, pos < end, s[pos] == UInt8(ascii: ";") else { return nil }
            return (utf8(of: isValidCodePoint(value) ? value : 0xFFFD), pos + 1)
        }
        let nameStart = pos
        while pos < end, pos - nameStart < 32, s[pos].isASCIIAlphanumeric { pos += 1 }
        guard pos - nameStart >= 2, s[nameStart].isASCIILetter, pos < end, s[pos] == UInt8(ascii: ";"),
              let bytes = EntityTable.byName[String(decoding: s[nameStart..<pos], as: UTF8.self)] else { return nil }
        return (bytes, pos + 1)
    }

    /// `s` with backslash escapes and character references replaced by what they stand for
    /// (link destinations, titles and info strings).
    static func unescape(_ s: ArraySlice<UInt8>) -> [UInt8] {
        guard s.contains(UInt8(ascii: "\\")) || s.contains(UInt8(ascii: "&")) else { return Array(s) }
        let s = Array(s)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var pos = 0
        while pos < s.count {
            let byte = s[pos]
            if byte == UInt8(ascii: "\\"), pos + 1 < s.count, s[pos + 1].isASCIIPunctuation {
                out.append(s[pos + 1])
                pos += 2
            } else if byte == UInt8(ascii: "&"), let reference = decode(s, at: pos, end: s.count) {
                out.append(contentsOf: reference.bytes)
                pos = reference.next
            } else {
                out.append(byte)
                pos += 1
            }
        }
        return out
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Whether a numeric reference may produce this code point; others become U+FFFD
    /// (NUL, surrogates, non-characters, C0/C1 controls other than whitespace).
    private static func isValidCodePoint(_ c: UInt32) -> Bool {
        if c >= 0xD800 && c <= 0xDFFF { return false }
        if c >= 0xFDD0 && c <= 0xFDEF { return false }
        if c & 0xFFFF == 0xFFFF || c & 0xFFFF == 0xFFFE { return false }
        if c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) { return false }
        return c <= 0x10FFFF
    }

    static func utf8(of codePoint: UInt32) -> [UInt8] {
        Array(String(Unicode.Scalar(codePoint) ?? "\u{FFFD}").utf8)
    }
}
