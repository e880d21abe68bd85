/// Raw HTML as CommonMark recognises it (§6.6): open and closing tags, comments,
/// processing instructions, declarations and CDATA sections.
enum HTMLSyntax {
    /// The end of the raw HTML construct starting at `pos` (which holds `<`), or nil.
    static func constructEnd(_ s: [UInt8], _ pos: Int, _ maximum: Int) -> Int? {
        if let end = tagEnd(s, pos, maximum) { return end }
        guard pos + 1 < maximum else { return nil }
        if s[pos + 1] == UInt8(ascii: "?") {
            return find(Array("?>".utf8), in: s, from: pos + 2, maximum).map { $0 + 2 }
        }
        guard s[pos + 1] == UInt8(ascii: "!") else { return nil }
        if hasPrefix(s, pos, maximum, "<!-->") { return pos + 5 }
        if hasPrefix(s, pos, maximum, "<!--->") { return pos + 6 }
        if hasPrefix(s, pos, maximum, "<!--") {
            return find(Array("-->".utf8), in: s, from: pos + 4, maximum).map { $0 + 3 }
        }
        if hasPrefix(s, pos, maximum, "<![CDATA[") {
            return find(Array("]]>".utf8), in: s, from: pos + 9, maximum).map { $0 + 3 }
        }
        guard pos + 2 < maximum, s[pos + 2].isASCIILetter else { return nil }
        return find([UInt8(ascii: ">")], in: s, from: pos + 3, maximum).map { $0 + 1 }
    }

    /// The end of an open tag or closing tag starting at `pos`, or nil.
    static func tagEnd(_ s: [UInt8], _ start: Int, _ maximum: Int) -> Int? {
        var pos = start + 1
        guard pos < maximum else { return nil }
        let closing = s[pos] == UInt8(ascii: "/")
        if closing { pos += 1 }
        guard pos < maximum, s[pos].isASCIILetter else { return nil }
        while pos < maximum, s[pos].isASCIIAlphanumeric || s[pos] == UInt8(ascii: "-") { pos += 1 }
        if closing {
            pos = skipWhitespace(s, pos, maximum)
            return pos < maximum && s[pos] == UInt8(ascii: ">") ? pos + 1 : nil
        }
        while true {
            let afterSpace = skipWhitespace(s, pos, maximum)
            guard afterSpace > pos, let attributeEnd = attributeEnd(s, afterSpace, maximum) else {
                pos = afterSpace
                break
            }
            pos = attributeEnd
        }
        if pos < maximum, s[pos] == UInt8(ascii: "/") { pos += 1 }
        return pos < maximum && s[pos] == UInt8(ascii: ">") ? pos + 1 : nil
    }

    /// The end of an attribute (name, optionally `=` and a value) at `pos`, or nil.
    private static func attributeEnd(_ s: [UInt8], _ start: Int, _ maximum: Int) -> Int? {
        var pos = start
        guard pos < maximum, s[pos].isASCIILetter || s[pos] == UInt8(ascii: "_") || s[pos] == UInt8(ascii: ":") else { return nil }
        pos += 1
        while pos < maximum, s[pos].isASCIIAlphanumeric || s[pos] == UInt8(ascii: "_") || s[pos] == UInt8(ascii: ":")
            || s[pos] == UInt8(ascii: ".") || s[pos] == UInt8(ascii: "-") { pos += 1 }
        let nameEnd = pos
        pos = skipWhitespace(s, pos, maximum)
        guard pos < maximum, s[pos] == UInt8(ascii: "=") else { return nameEnd }
        pos = skipWhitespace(s, pos + 1, maximum)
        guard pos < maximum else { return nil }
        let quote = s[pos]
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            return find([quote], in: s, from: pos + 1, maximum).map { $0 + 1 }
        }
        let valueStart = pos
        while pos < maximum, !isUnquotedValueStop(s[pos]) { pos += 1 }
        return pos > valueStart ? pos : nil
    }

    private static func isUnquotedValueStop(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "=")
            || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "`")
    }

    static func skipWhitespace(_ s: [UInt8], _ start: Int, _ maximum: Int) -> Int {
        var pos = start
        while pos < maximum, s[pos].isASCIIWhitespace { pos += 1 }
        return pos
    }

    static func hasPrefix(_ s: [UInt8], _ pos: Int, _ maximum: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard pos + count <= maximum else { return false }
        return prefix.withUTF8Buffer { buffer in
            for i in 0..<count where s[pos + i] != buffer[i] { return false }
            return true
        }
    }

    /// Like `hasPrefix`, ignoring ASCII case (`prefix` in lower case).
    static func hasPrefixIgnoringCase(_ s: [UInt8], _ pos: Int, _ maximum: Int, _ prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        guard pos + bytes.count <= maximum else { return false }
        for i in 0..<bytes.count {
            let byte = s[pos + i]
            if (byte.isASCIILetter ? byte | 0x20 : byte) != bytes[i] { return false }
        }
        return true
    }

    /// The first position of `needle` in `s[from..<maximum]`, or nil.
    static func find(_ needle: [UInt8], in s: [UInt8], from: Int, _ maximum: Int) -> Int? {
        guard let first = needle.first else { return from }
        var pos = from
        while pos + needle.count <= maximum {
            if s[pos] == first {
                var matched = true
                for k in 1..<needle.count where s[pos + k] != needle[k] { matched = false; break }
                if matched { return pos }
            }
            pos += 1
        }
        return nil
    }
}
