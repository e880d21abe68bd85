/// Byte and character classes of CommonMark §2.1, on UTF-8 bytes.
extension UInt8 {
    /// A space or a tab.
    var isSpaceOrTab: Bool { self == 0x20 || self == 0x09 }
    /// Space, tab, line feed, line tabulation, form feed or carriage return.
    var isASCIIWhitespace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isASCIILetter: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A }
    var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIILetter }
    /// `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`
    var isASCIIPunctuation: Bool {
        (self >= 0x21 && self <= 0x2F) || (self >= 0x3A && self <= 0x40)
            || (self >= 0x5B && self <= 0x60) || (self >= 0x7B && self <= 0x7E)
    }
}

enum Characters {
    /// The code point starting at `i` (a space past the end, as CommonMark treats the edges).
    static func scalar(at i: Int, in s: [UInt8], end: Int) -> UInt32 {
        guard i < end else { return 0x20 }
        let b0 = UInt32(s[i])
        if b0 < 0x80 { return b0 }
        func next(_ k: Int) -> UInt32 { i + k < s.count ? UInt32(s[i + k] & 0x3F) : 0 }
        if b0 < 0xE0 { return (b0 & 0x1F) << 6 | next(1) }
        if b0 < 0xF0 { return (b0 & 0x0F) << 12 | next(1) << 6 | next(2) }
        return (b0 & 0x07) << 18 | next(1) << 12 | next(2) << 6 | next(3)
    }

    /// The code point ending just before `i` (a space at the start).
    static func scalar(before i: Int, in s: [UInt8]) -> UInt32 {
        guard i > 0 else { return 0x20 }
        var start = i - 1
        while start > 0, i - start < 4, s[start] & 0xC0 == 0x80 { start -= 1 }
        return scalar(at: start, in: s, end: i)
    }

    /// Unicode whitespace: the Zs category, tab, line feed, form feed, carriage return.
    static func isWhitespace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Unicode punctuation: the P (punctuation) and S (symbol) general categories.
    static func isPunctuation(_ c: UInt32) -> Bool {
        if c < 0x80 { return UInt8(c).isASCIIPunctuation }
        guard let scalar = Unicode.Scalar(c) else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// `s` without leading and trailing spaces, tabs and line endings.
    static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lower = s.startIndex, upper = s.endIndex
        while lower < upper, s[lower].isASCIIWhitespace { lower += 1 }
        while upper > lower, s[upper - 1].isASCIIWhitespace { upper -= 1 }
        return s[lower..<upper]
    }

    static func trim(_ s: [UInt8]) -> [UInt8] { Array(trim(s[...])) }

    /// A link label as definitions and references match it (§4.7): trimmed, inner
    /// whitespace collapsed to one space, Unicode case-folded.
    static func normalizeLabel(_ s: ArraySlice<UInt8>) -> String {
        var collapsed: [UInt8] = []
        collapsed.reserveCapacity(s.count)
        var inSpace = false
        for byte in trim(s) {
            if byte.isASCIIWhitespace {
                inSpace = true
            } else {
                if inSpace { collapsed.append(0x20) }
                inSpace = false
                collapsed.append(byte)
            }
        }
        // Lower then upper case folds both "ẞ" and "SS" to "SS", as case folding does.
        return String(decoding: collapsed, as: UTF8.self).lowercased().uppercased()
    }
}
