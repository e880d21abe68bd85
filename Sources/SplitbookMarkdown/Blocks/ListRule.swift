/// Lists and list items (§5.2, §5.3): each item's lines are parsed as blocks at the
/// item's content column; a list is tight unless blank lines separate its blocks.
enum ListRule {
    /// The position after a bullet marker (`*`, `-`, `+`) that is followed by a space or
    /// the end of the line, or -1.
    static func skipBulletMarker(_ state: BlockState, _ line: Int) -> Int {
        var pos = state.contentStart(line)
        let maximum = state.eMarks[line]
        let marker = state.byte(pos)
        guard marker == UInt8(ascii: "*") || marker == UInt8(ascii: "-") || marker == UInt8(ascii: "+") else { return -1 }
        pos += 1
        if pos < maximum, !state.src[pos].isSpaceOrTab { return -1 }
        return pos
    }

    /// The position after an ordered marker (1–9 digits, then `.` or `)`), or -1.
    static func skipOrderedMarker(_ state: BlockState, _ line: Int) -> Int {
        let start = state.contentStart(line)
        var pos = start
        let maximum = state.eMarks[line]
        guard pos + 1 < maximum, state.src[pos].isASCIIDigit else { return -1 }
        pos += 1
        while true {
            guard pos < maximum else { return -1 }
            let ch = state.src[pos]
            pos += 1
            if ch.isASCIIDigit {
                if pos - start >= 10 { return -1 }
                continue
            }
            if ch == UInt8(ascii: ")") || ch == UInt8(ascii: ".") { break }
            return -1
        }
        if pos < maximum, !state.src[pos].isSpaceOrTab { return -1 }
        return pos
    }

    static func parse(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        guard !state.isCodeBlock(startLine) else { return false }
        // A line indented past the parent list item's content is not a sibling list.
        if state.listIndent >= 0, state.sCount[startLine] - state.listIndent >= 4,
           state.sCount[startLine] < state.blkIndent { return false }
        let isTerminatingParagraph = silent && state.parent == .paragraph && state.sCount[startLine] >= state.blkIndent

        var posAfterMarker = skipOrderedMarker(state, startLine)
        let isOrdered = posAfterMarker >= 0
        let markerStart = state.contentStart(startLine)
        var startNumber = 0
        if isOrdered {
            startNumber = Int(String(decoding: state.src[markerStart..<(posAfterMarker - 1)], as: UTF8.self)) ?? 0
            // Only a list starting at 1 may interrupt a paragraph.
            if isTerminatingParagraph, startNumber != 1 { return false }
        } else {
            posAfterMarker = skipBulletMarker(state, startLine)
            if posAfterMarker < 0 { return false }
        }
        // An empty item may not interrupt a paragraph.
        if isTerminatingParagraph, state.skipSpaces(posAfterMarker) >= state.eMarks[startLine] { return false }
        let markerChar = state.src[posAfterMarker - 1]
        if silent { return true }

        let listTokenIndex = state.tokens.count
        if isOrdered {
            let token = state.push(.orderedListOpen, "ol", 1)
            if startNumber != 1 { token.attributes = [("start", Array(String(startNumber).utf8))] }
        } else {
            state.push(.bulletListOpen, "ul", 1)
        }

        var line = startLine
        var next = startLine
        var prevEmptyEnd = false
        var tight = true
        let oldParent = state.parent
        state.parent = .list
        while next < endLine {
            var pos = posAfterMarker
            let maximum = state.eMarks[next]
            let initial = state.sCount[next] + posAfterMarker - state.contentStart(line)
            var offset = initial
            while pos < maximum {
                let ch = state.src[pos]
                if ch == 0x09 {
                    offset += 4 - (offset + state.bsCount[next]) % 4
                } else if ch == 0x20 {
                    offset += 1
                } else {
                    break
                }
                pos += 1
            }
            let contentStart = pos
            // Content starting 5+ columns after the marker is indented code: one space counts.
            var indentAfterMarker = contentStart >= maximum ? 1 : offset - initial
            if indentAfterMarker > 4 { indentAfterMarker = 1 }
            let indent = initial + indentAfterMarker

            state.push(.listItemOpen, "li", 1)
            let oldTight = state.tight
            let oldTShift = state.tShift[line]
            let oldSCount = state.sCount[line]
            let oldListIndent = state.listIndent
            state.listIndent = state.blkIndent
            state.blkIndent = indent
            state.tight = true
            state.tShift[line] = contentStart - state.bMarks[line]
            state.sCount[line] = offset
            if contentStart >= maximum, state.isEmpty(line + 1) {
                // An item may begin with at most one blank line.
                state.line = min(state.line + 2, endLine)
            } else {
                BlockParser.tokenize(state, line, endLine)
            }
            if !state.tight || prevEmptyEnd { tight = false }
            prevEmptyEnd = state.line - line > 1 && state.isEmpty(state.line - 1)
            state.blkIndent = state.listIndent
            state.listIndent = oldListIndent
            state.tShift[line] = oldTShift
            state.sCount[line] = oldSCount
            state.tight = oldTight
            state.push(.listItemClose, "li", -1)

            line = state.line
            next = line
            if next >= endLine || state.sCount[next] < state.blkIndent || state.isCodeBlock(line) { break }
            if BlockParser.terminates(BlockParser.listTerminators, state, next, endLine) { break }
            if isOrdered {
                posAfterMarker = skipOrderedMarker(state, next)
                if posAfterMarker < 0 { break }
            } else {
                posAfterMarker = skipBulletMarker(state, next)
                if posAfterMarker < 0 { break }
            }
            if markerChar != state.src[posAfterMarker - 1] { break }
        }
        state.push(isOrdered ? .orderedListClose : .bulletListClose, isOrdered ? "ol" : "ul", -1)
        state.line = next
        state.parent = oldParent
        if tight { markTightParagraphs(state, from: listTokenIndex) }
        return true
    }

    /// Hides the paragraph tags directly inside the items of a tight list.
    private static func markTightParagraphs(_ state: BlockState, from index: Int) {
        let level = state.level + 2
        var i = index + 2
        let end = state.tokens.count - 2
        while i < end {
            if state.tokens[i].level == level, state.tokens[i].kind == .paragraphOpen {
                state.tokens[i + 2].hidden = true
                state.tokens[i].hidden = true
                i += 2
            }
            i += 1
        }
    }
}
