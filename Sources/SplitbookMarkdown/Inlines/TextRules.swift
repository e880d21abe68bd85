/// Plain text, line breaks (§6.7, §6.8), backslash escapes (§2.4) and character references (§2.5).
enum TextRules {
    /// Bytes at which some other inline rule may match.
    private static let terminators: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "\n!#$%&*+-:<=>@[\\]^_`{}~".utf8 { table[Int(byte)] = true }
        return table
    }()

    static func text(_ state: InlineState, silent: Bool) -> Bool {
        var pos = state.pos
        while pos < state.posMax, !terminators[Int(state.src[pos])] { pos += 1 }
        if pos == state.pos { return false }
        if !silent { state.pending += state.src[state.pos..<pos] }
        state.pos = pos
        return true
    }

    /// A line ending: a hard break after two or more spaces, else a soft break; the
    /// spaces around it are dropped.
    static func newline(_ state: InlineState, silent: Bool) -> Bool {
        var pos = state.pos
        guard state.src[pos] == 0x0A else { return false }
        if !silent {
            if state.pending.last == 0x20 {
                var trailing = 0
                while trailing < state.pending.count, state.pending[state.pending.count - 1 - trailing] == 0x20 { trailing += 1 }
                state.pending.removeLast(trailing)
                state.push(trailing >= 2 ? .hardbreak : .softbreak, "br", 0)
            } else {
                state.push(.softbreak, "br", 0)
            }
        }
        pos += 1
        while pos < state.posMax, state.src[pos].isSpaceOrTab { pos += 1 }
        state.pos = pos
        return true
    }

    /// A backslash before ASCII punctuation stands for that character; before a line
    /// ending, it is a hard break.
    static func escape(_ state: InlineState, silent: Bool) -> Bool {
        var pos = state.pos
        guard state.src[pos] == UInt8(ascii: "\\") else { return false }
        pos += 1
        guard pos < state.posMax else { return false }
        let next = state.src[pos]
        if next == 0x0A {
            if !silent { state.push(.hardbreak, "br", 0) }
            pos += 1
            while pos < state.posMax, state.src[pos].isSpaceOrTab { pos += 1 }
            state.pos = pos
            return true
        }
        // The escaped character: a whole UTF-8 sequence.
        var end = pos + 1
        while end < state.posMax, state.src[end] & 0xC0 == 0x80 { end += 1 }
        if !silent {
            let token = state.push(.textSpecial, "", 0)
            token.content = next.isASCIIPunctuation ? [next] : Array(state.src[(pos - 1)..<end])
        }
        state.pos = end
        return true
    }

    static func entity(_ state: InlineState, silent: Bool) -> Bool {
        guard state.src[state.pos] == UInt8(ascii: "&"),
              let reference = CharacterReference.decode(state.src, at: state.pos, end: state.posMax) else { return false }
        if !silent {
            let token = state.push(.textSpecial, "", 0)
            token.content = reference.bytes
        }
        state.pos = reference.next
        return true
    }
}
