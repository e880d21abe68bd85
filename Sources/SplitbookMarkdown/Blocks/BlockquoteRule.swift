/// Block quotes (§5.1): strips the `>` markers from the lines the quote owns (including
/// lazy continuation lines), parses those lines as blocks, then restores the marks.
enum BlockquoteRule {
    /// A line's marks before the quote narrowed them.
    private struct SavedLine { var bMark, bsCount, tShift, sCount: Int }

    static func parse(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        let oldLineMax = state.lineMax
        let pos = state.contentStart(startLine)
        guard !state.isCodeBlock(startLine), pos < state.src.count, state.src[pos] == UInt8(ascii: ">") else { return false }
        if silent { return true }

        var saved: [SavedLine] = []
        var lastLineEmpty = stripMarker(state, startLine, saved: &saved)
        let oldParent = state.parent
        state.parent = .blockquote
        var next = startLine + 1
        while next < endLine {
            let isOutdented = state.sCount[next] < state.blkIndent
            let start = state.contentStart(next)
            if start >= state.eMarks[next] { break }  // a blank line ends the quote
            if state.src[start] == UInt8(ascii: ">"), !isOutdented {
                lastLineEmpty = stripMarker(state, next, saved: &saved)
                next += 1
                continue
            }
            if lastLineEmpty { break }  // no laziness after a blank quoted line
            if BlockParser.terminates(BlockParser.blockquoteTerminators, state, next, endLine) {
                state.lineMax = next
                if state.blkIndent != 0 {
                    saved.append(SavedLine(bMark: state.bMarks[next], bsCount: state.bsCount[next],
                                           tShift: state.tShift[next], sCount: state.sCount[next]))
                    state.sCount[next] -= state.blkIndent
                }
                break
            }
            // A lazy continuation line: marked so that only a paragraph takes it.
            saved.append(SavedLine(bMark: state.bMarks[next], bsCount: state.bsCount[next],
                                   tShift: state.tShift[next], sCount: state.sCount[next]))
            state.sCount[next] = -1
            next += 1
        }

        let oldIndent = state.blkIndent
        state.blkIndent = 0
        state.push(.blockquoteOpen, "blockquote", 1)
        BlockParser.tokenize(state, startLine, next)
        state.push(.blockquoteClose, "blockquote", -1)
        state.lineMax = oldLineMax
        state.parent = oldParent
        for (offset, line) in saved.enumerated() {
            state.bMarks[startLine + offset] = line.bMark
            state.tShift[startLine + offset] = line.tShift
            state.sCount[startLine + offset] = line.sCount
            state.bsCount[startLine + offset] = line.bsCount
        }
        state.blkIndent = oldIndent
        return true
    }

    /// Moves `line`'s marks past its `>` and the optional space after it (a tab counts
    /// as that space and its remaining columns as indentation); whether the rest is blank.
    private static func stripMarker(_ state: BlockState, _ line: Int, saved: inout [SavedLine]) -> Bool {
        var pos = state.contentStart(line) + 1
        let maximum = state.eMarks[line]
        var initial = state.sCount[line] + 1
        var offset = initial
        var adjustTab = false
        var spaceAfterMarker = false
        let next = state.byte(pos)
        if next == 0x20 {
            pos += 1; initial += 1; offset += 1
            spaceAfterMarker = true
        } else if next == 0x09 {
            spaceAfterMarker = true
            if (state.bsCount[line] + offset) % 4 == 3 {
                pos += 1; initial += 1; offset += 1
            } else {
                adjustTab = true
            }
        }
        saved.append(SavedLine(bMark: state.bMarks[line], bsCount: state.bsCount[line],
                               tShift: state.tShift[line], sCount: state.sCount[line]))
        state.bMarks[line] = pos
        while pos < maximum, state.src[pos].isSpaceOrTab {
            if state.src[pos] == 0x09 {
                offset += 4 - (offset + state.bsCount[line] + (adjustTab ? 1 : 0)) % 4
            } else {
                offset += 1
            }
            pos += 1
        }
        state.bsCount[line] = state.sCount[line] + 1 + (spaceAfterMarker ? 1 : 0)
        state.sCount[line] = offset - initial
        state.tShift[line] = pos - state.bMarks[line]
        return pos >= maximum
    }
}
