import Foundation
import SplitbookSpec

/// Reads JSON text (RFC 8259) straight into a `JSONValue`, with no Codable
/// round trip: on the request path, JSONDecoder's guessing of each value's
/// type through thrown errors was most of the server's work. It gives what
/// `JSONDecoder().decode(JSONValue.self, ...)` gives on valid JSON: a number
/// is `.int` when it is a whole number (`2.0`, `1e2`; see `number()`), else
/// `.double`, and out of range (`1e400`) is not JSON; of duplicate keys the
/// first wins; a lone surrogate is not JSON. It is stricter than JSONDecoder
/// about trailing commas. Nesting deeper than `maxDepth` is refused.
struct JSONReader {
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var at = 0

    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var reader = JSONReader(bytes: bytes)
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipWhitespace()
        return reader.at == bytes.count ? value : nil
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func value(depth: Int) -> JSONValue? {
        skipWhitespace()
        guard at < bytes.count, depth < Self.maxDepth else { return nil }
        switch bytes[at] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func object(depth: Int) -> JSONValue? {
        at += 1
        var members: [String: JSONValue] = [:]
        if consume(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipWhitespace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\""), let key = string(), consume(UInt8(ascii: ":")),
                  let member = value(depth: depth + 1) else { return nil }
            if members[key] == nil { members[key] = member }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}")) ? .object(members) : nil
    }

    private mutating func array(depth: Int) -> JSONValue? {
        at += 1
        var items: [JSONValue] = []
        if consume(UInt8(ascii: "]")) { return .array(items) }
        repeat {
            guard let item = value(depth: depth + 1) else { return nil }
            items.append(item)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? .array(items) : nil
    }

    /// A string, `at` on its opening quote.
    private mutating func string() -> String? {
        at += 1
        let start = at
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") { at += 1 }
        guard at < bytes.count else { return nil }
        if bytes[at] == UInt8(ascii: "\"") {
            at += 1
            return String(decoding: bytes[start..<at - 1], as: UTF8.self)
        }
        var text = Array(bytes[start..<at])
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"): guard escape(into: &text) else { return nil }
            default: text.append(byte)
            }
        }
        return nil
    }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func escape(into text: inout [UInt8]) -> Bool {
        guard at < bytes.count else { return false }
        let byte = bytes[at]
        at += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hex4() else { return false }
            var scalar = Unicode.Scalar(unit)
            if (0xD800..<0xDC00).contains(unit), bytes[at...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) {
                let mark = at
                at += 2
                if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                    scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
                } else {
                    at = mark  // not its pair: the next escape stands alone
                }
            }
            guard let scalar else { return false }  // a lone surrogate, which JSONDecoder refuses too
            text.append(contentsOf: String(scalar).utf8)
        default: return false
        }
        return true
    }

    /// Four hex digits.
    private mutating func hex4() -> UInt16? {
        guard at + 4 <= bytes.count else { return nil }
        var unit: UInt16 = 0
        for byte in bytes[at..<at + 4] {
            let digit: UInt8
            if isDigit(byte) {
                digit = byte - UInt8(ascii: "0")
            } else if (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20) {
                digit = (byte | 0x20) - UInt8(ascii: "a") + 10
            } else {
                return nil
            }
            unit = unit << 4 | UInt16(digit)
        }
        at += 4
        return unit
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, read exactly as
    /// swift-foundation's `JSONDecoder` reads it into `JSONValue` (its
    /// integer decoding first, then `Double`): a plain integer is `.int` when
    /// an `Int` holds it. Any other number is read as a `Double`, which must
    /// be a whole number an `Int` holds for `.int`: below 2^53 that `Double`
    /// is the value (`1.0000000000000001` is 1); from 2^53 up the text is read
    /// again as a `Decimal` and truncated (`wholePart`), so
    /// `9007199254740993.0` stays exact. Otherwise `.double`; out of range
    /// (`1e400`) is not JSON.
    private mutating func number() -> JSONValue? {
        let start = at
        let negative = consumeRaw(UInt8(ascii: "-"))
        guard at < bytes.count, isDigit(bytes[at]) else { return nil }
        if bytes[at] == UInt8(ascii: "0") { at += 1 } else { _ = skipDigits() }
        let integerEnd = at
        var fractionStart = at
        if consumeRaw(UInt8(ascii: ".")) {
            fractionStart = at
            guard skipDigits() else { return nil }
        }
        let fractionEnd = at
        var exponent = 0
        if at < bytes.count, bytes[at] | 0x20 == UInt8(ascii: "e") {
            at += 1
            let exponentStart = at
            if !consumeRaw(UInt8(ascii: "+")) { _ = consumeRaw(UInt8(ascii: "-")) }
            guard skipDigits() else { return nil }
            let text = String(decoding: bytes[exponentStart..<at], as: UTF8.self)
            exponent = Int(text) ?? (text.hasPrefix("-") ? -1_000_000 : 1_000_000)
        }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        if fractionEnd == integerEnd, at == fractionEnd, let int = Int(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else { return nil }
        guard Int(exactly: double) != nil else { return .double(double) }
        if double.magnitude < 9_007_199_254_740_992 { return .int(Int(double)) }
        let digits = Array(bytes[(negative ? start + 1 : start)..<integerEnd]) + Array(bytes[fractionStart..<fractionEnd])
        return Self.wholePart(digits: digits, exponent: exponent - (fractionEnd - fractionStart), negative: negative).map { .int($0) }
            ?? .double(double)
    }

    /// What Foundation's `FixedWidthInteger(Decimal)` makes of `digits` x
    /// 10^`exponent`: the mantissa at most 38 digits without trailing zeros,
    /// which must fit a `UInt64`; a negative exponent truncates; nil where
    /// that overflows or an `Int` does not hold it (`Int.min` included).
    private static func wholePart(digits: [UInt8], exponent: Int, negative: Bool) -> Int? {
        var significant = digits.drop { $0 == UInt8(ascii: "0") }
        var exponent = exponent
        if significant.count > 38 {
            exponent += significant.count - 38
            significant = significant.prefix(38)
        }
        while significant.last == UInt8(ascii: "0") {
            significant.removeLast()
            exponent += 1
        }
        var value: UInt64 = 0
        for digit in significant {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        if exponent < 0 {
            for _ in 0..<min(-exponent, 20) { value /= 10 }
        } else {
            for _ in 0..<exponent {
                let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                value = product
            }
        }
        guard let int = Int(exactly: value) else { return nil }
        return negative ? -int : int
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Skips digits; false when there was none.
    private mutating func skipDigits() -> Bool {
        let start = at
        while at < bytes.count, isDigit(bytes[at]) { at += 1 }
        return at > start
    }

    private mutating func literal(_ word: String, _ value: JSONValue) -> JSONValue? {
        guard bytes[at...].starts(with: word.utf8) else { return nil }
        at += word.utf8.count
        return value
    }

    /// Skips whitespace, then takes `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        return consumeRaw(byte)
    }

    private mutating func consumeRaw(_ byte: UInt8) -> Bool {
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    private mutating func skipWhitespace() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
    }
}
