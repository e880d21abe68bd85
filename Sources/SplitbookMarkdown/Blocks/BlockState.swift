/// The block parser's view of the source: per line its start, end, indentation and the
/// indentation the enclosing containers consume, as markdown-it's `StateBlock`.
/// Container rules narrow these marks for the lines they own, then restore them.
final class BlockState {
    /// What a terminator check is asked on behalf of (it changes what may interrupt).
    enum Parent { case root, paragraph, reference, blockquote, list, table }

    let src: [UInt8]
    /// Where each line's content starts (past container markers) and ends (at its `\n`).
    var bMarks: [Int] = [], eMarks: [Int] = []
    /// Bytes of indentation from `bMarks`, and that indentation in columns (tabs expanded).
    var tShift: [Int] = [], sCount: [Int] = []
    /// The column at which a line's content starts after block quote markers, for tab stops.
    var bsCount: [Int] = []
    /// The indentation this block's content needs (a list item's content column).
    var blkIndent = 0
    var line = 0
    var lineMax = 0
    var tight = false
    var listIndent = -1
    var parent: Parent = .root
    var level = 0
    var tokens: [Token] = []
    var references: [String: LinkReference] = [:]

    init(_ src: [UInt8]) {
        self.src = src
        let length = src.count
        var start = 0
        while start < length {
            var end = start
            while end < length, src[end] != 0x0A { end += 1 }
            var indent = 0, offset = 0, pos = start
            while pos < end, src[pos].isSpaceOrTab {
                indent += 1
                offset += src[pos] == 0x09 ? 4 - offset % 4 : 1
                pos += 1
            }
            if pos == end && end == length { break }
            bMarks.append(start); eMarks.append(end)
            tShift.append(indent); sCount.append(offset); bsCount.append(0)
            start = end < length ? end + 1 : length
        }
        bMarks.append(length); eMarks.append(length)
        tShift.append(0); sCount.append(0); bsCount.append(0)
        lineMax = bMarks.count - 1
    }

    /// The byte at `pos`, or 0 past the end (the source holds no NUL).
    @inline(__always) func byte(_ pos: Int) -> UInt8 { pos < src.count ? src[pos] : 0 }

    /// Where `line`'s content starts.
    @inline(__always) func contentStart(_ line: Int) -> Int { bMarks[line] + tShift[line] }

    @discardableResult
    func push(_ kind: Token.Kind, _ tag: String, _ nesting: Int) -> Token {
        let token = Token(kind, tag, nesting)
        token.isBlock = true
        if nesting < 0 { level -= 1 }
        token.level = level
        if nesting > 0 { level += 1 }
        tokens.append(token)
        return token
    }

    func isEmpty(_ line: Int) -> Bool { bMarks[line] + tShift[line] >= eMarks[line] }

    func skipEmptyLines(_ from: Int) -> Int {
        var line = from
        while line < lineMax, bMarks[line] + tShift[line] >= eMarks[line] { line += 1 }
        return line
    }

    func skipSpaces(_ from: Int) -> Int {
        var pos = from
        while pos < src.count, src[pos].isSpaceOrTab { pos += 1 }
        return pos
    }

    func skipSpacesBack(_ from: Int, _ minimum: Int) -> Int {
        var pos = from
        while pos > minimum, src[pos - 1].isSpaceOrTab { pos -= 1 }
        return pos
    }

    func skipChars(_ from: Int, _ byte: UInt8) -> Int {
        var pos = from
        while pos < src.count, src[pos] == byte { pos += 1 }
        return pos
    }

    func skipCharsBack(_ from: Int, _ byte: UInt8, _ minimum: Int) -> Int {
        var pos = from
        while pos > minimum, src[pos - 1] == byte { pos -= 1 }
        return pos
    }

    /// Whether `line` is indented enough, relative to the block, to be indented code.
    func isCodeBlock(_ line: Int) -> Bool { sCount[line] - blkIndent >= 4 }

    /// Lines `begin..<end` with `indent` columns of indentation removed (a partly
    /// consumed tab leaves its remaining columns as spaces).
    func lines(_ begin: Int, _ end: Int, indent: Int, keepLastLF: Bool) -> [UInt8] {
        var out: [UInt8] = []
        guard begin < end else { return out }
        for line in begin..<end {
            var lineIndent = 0
            let lineStart = bMarks[line]
            var first = lineStart
            let last = line + 1 < end || keepLastLF ? min(eMarks[line] + 1, src.count) : eMarks[line]
            while first < last, lineIndent < indent {
                let ch = src[first]
                if ch.isSpaceOrTab {
                    lineIndent += ch == 0x09 ? 4 - (lineIndent + bsCount[line]) % 4 : 1
                } else if first - lineStart < tShift[line] {
                    lineIndent += 1  // a block quote marker's space already counted
                } else {
                    break
                }
                first += 1
            }
            if lineIndent > indent {
                out.append(contentsOf: repeatElement(0x20, count: lineIndent - indent))
            }
            out.append(contentsOf: src[first..<last])
        }
        return out
    }
}
