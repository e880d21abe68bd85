/// Link destinations (§6.3): `<...>` without line endings or unescaped `<`/`>`, or a
/// run of non-space, non-control characters with balanced parentheses.
enum LinkDestination {
    /// The unescaped destination starting at `pos` in `s[..<maximum]` and the position after it.
    static func parse(_ s: [UInt8], _ start: Int, _ maximum: Int) -> (destination: [UInt8], next: Int)? {
        var pos = start
        if pos < maximum, s[pos] == UInt8(ascii: "<") {
            pos += 1
            while pos < maximum {
                switch s[pos] {
                case 0x0A, UInt8(ascii: "<"): return nil
                case UInt8(ascii: ">"): return (CharacterReference.unescape(s[(start + 1)..<pos]), pos + 1)
                case UInt8(ascii: "\\") where pos + 1 < maximum: pos += 2
                default: pos += 1
                }
            }
            return nil
        }
        var level = 0
        while pos < maximum {
            let code = s[pos]
            if code <= 0x20 || code == 0x7F { break }
            if code == UInt8(ascii: "\\"), pos + 1 < maximum {
                if s[pos + 1] == 0x20 { break }
                pos += 2
                continue
            }
            if code == UInt8(ascii: "(") {
                level += 1
                if level > 32 { return nil }
            }
            if code == UInt8(ascii: ")") {
                if level == 0 { break }
                level -= 1
            }
            pos += 1
        }
        guard pos > start, level == 0 else { return nil }
        return (CharacterReference.unescape(s[start..<pos]), pos)
    }
}

/// Link titles (§6.3): `"..."`, `'...'` or `(...)`, possibly over several lines.
struct LinkTitle {
    /// Whether a complete title was read; `next` is then the position after it.
    var ok = false
    /// Whether the title is still open at the end of the text (a definition may go on to the next line).
    var canContinue = false
    var next = 0
    var title: [UInt8] = []
    var closer: UInt8 = 0

    /// Reads a title at `start`, or continues `previous` (an open title) from `start`.
    static func parse(_ s: [UInt8], _ start: Int, _ maximum: Int, continuing previous: LinkTitle? = nil) -> LinkTitle {
        var result = LinkTitle()
        var pos = start
        var contentStart = start
        if let previous {
            result.title = previous.title
            result.closer = previous.closer
        } else {
            guard pos < maximum else { return result }
            let marker = s[pos]
            guard marker == UInt8(ascii: "\"") || marker == UInt8(ascii: "'") || marker == UInt8(ascii: "(") else { return result }
            contentStart += 1
            pos += 1
            result.closer = marker == UInt8(ascii: "(") ? UInt8(ascii: ")") : marker
        }
        while pos < maximum {
            let code = s[pos]
            if code == result.closer {
                result.next = pos + 1
                result.title += CharacterReference.unescape(s[contentStart..<pos])
                result.ok = true
                return result
            } else if code == UInt8(ascii: "("), result.closer == UInt8(ascii: ")") {
                return result
            } else if code == UInt8(ascii: "\\"), pos + 1 < maximum {
                pos += 1
            }
            pos += 1
        }
        result.canContinue = true
        result.title += CharacterReference.unescape(s[contentStart..<min(pos, maximum)])
        return result
    }
}
