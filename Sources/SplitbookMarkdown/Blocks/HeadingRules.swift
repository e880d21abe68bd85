/// Thematic breaks (§4.1), ATX headings (§4.2) and setext headings (§4.3).
enum HeadingRules {
    static func thematicBreak(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        var pos = state.contentStart(startLine)
        let maximum = state.eMarks[startLine]
        guard !state.isCodeBlock(startLine), pos < maximum else { return false }
        let marker = state.src[pos]
        guard marker == UInt8(ascii: "*") || marker == UInt8(ascii: "-") || marker == UInt8(ascii: "_") else { return false }
        pos += 1
        var count = 1
        while pos < maximum {
            let ch = state.src[pos]
            pos += 1
            if ch != marker && !ch.isSpaceOrTab { return false }
            if ch == marker { count += 1 }
        }
        guard count >= 3 else { return false }
        if silent { return true }
        state.line = startLine + 1
        state.push(.hr, "hr", 0)
        return true
    }

    static func atx(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        var pos = state.contentStart(startLine)
        var maximum = state.eMarks[startLine]
        guard !state.isCodeBlock(startLine), pos < maximum, state.src[pos] == UInt8(ascii: "#") else { return false }
        var level = 1
        pos += 1
        while pos < maximum, state.src[pos] == UInt8(ascii: "#"), level <= 6 {
            level += 1
            pos += 1
        }
        if level > 6 || (pos < maximum && !state.src[pos].isSpaceOrTab) { return false }
        if silent { return true }
        // An optional closing sequence of `#`s, preceded by a space.
        maximum = state.skipSpacesBack(maximum, pos)
        let closing = state.skipCharsBack(maximum, UInt8(ascii: "#"), pos)
        if closing > pos, state.src[closing - 1].isSpaceOrTab { maximum = closing }
        state.line = startLine + 1
        state.push(.headingOpen, "h\(level)", 1)
        let inline = state.push(.inline, "", 0)
        inline.content = Array(Characters.trim(state.src[pos..<max(pos, maximum)]))
        state.push(.headingClose, "h\(level)", -1)
        return true
    }

    static func setext(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        guard !state.isCodeBlock(startLine) else { return false }
        var level = 0
        var next = startLine + 1
        let oldParent = state.parent
        state.parent = .paragraph
        defer { state.parent = oldParent }
        while next < endLine, !state.isEmpty(next) {
            // Indented lines are paragraph continuations, never underlines or new blocks.
            if state.sCount[next] - state.blkIndent > 3 {
                next += 1
                continue
            }
            if state.sCount[next] >= state.blkIndent {
                var pos = state.contentStart(next)
                let maximum = state.eMarks[next]
                if pos < maximum {
                    let marker = state.src[pos]
                    if marker == UInt8(ascii: "-") || marker == UInt8(ascii: "=") {
                        pos = state.skipSpaces(state.skipChars(pos, marker))
                        if pos >= maximum {
                            level = marker == UInt8(ascii: "=") ? 1 : 2
                            break
                        }
                    }
                }
            }
            if state.sCount[next] < 0 {  // a lazy line of a block quote
                next += 1
                continue
            }
            if BlockParser.terminates(BlockParser.paragraphTerminators, state, next, endLine) { break }
            next += 1
        }
        guard level > 0 else { return false }
        let content = Characters.trim(state.lines(startLine, next, indent: state.blkIndent, keepLastLF: false))
        state.line = next + 1
        state.push(.headingOpen, "h\(level)", 1)
        let inline = state.push(.inline, "", 0)
        inline.content = content
        state.push(.headingClose, "h\(level)", -1)
        return true
    }
}
