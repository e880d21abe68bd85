/// GitHub tables, as markdown-it's `table` rule reads them: a header row, a delimiter
/// row with as many cells (`---`, `:--`, `--:`, `:-:`), then body rows until a blank
/// line or another block. Body rows are cut or padded to the header's width.
enum TableRule {
    /// Bounds the empty cells that padding may add (markdown-it's limit).
    static let maxPaddedCells = 0x10000

    static func parse(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        guard startLine + 2 <= endLine else { return false }
        let delimiterLine = startLine + 1
        guard state.sCount[delimiterLine] >= state.blkIndent, !state.isCodeBlock(delimiterLine),
              let aligns = alignments(state, delimiterLine) else { return false }
        let header = Characters.trim(line(state, startLine))
        guard header.contains(UInt8(ascii: "|")), !state.isCodeBlock(startLine) else { return false }
        let headerCells = cells(header)
        let columnCount = headerCells.count
        guard columnCount > 0, columnCount == aligns.count else { return false }
        if silent { return true }

        let oldParent = state.parent
        state.parent = .table
        state.push(.tableOpen, "table", 1)
        state.push(.theadOpen, "thead", 1)
        state.push(.trOpen, "tr", 1)
        for (cell, align) in zip(headerCells, aligns) {
            pushCell(state, .thOpen, .thClose, "th", content: cell, align: align)
        }
        state.push(.trClose, "tr", -1)
        state.push(.theadClose, "thead", -1)

        var paddedCells = 0
        var next = startLine + 2
        while next < endLine {
            if state.sCount[next] < state.blkIndent { break }
            if BlockParser.terminates(BlockParser.blockquoteTerminators, state, next, endLine) { break }
            let text = Characters.trim(line(state, next))
            if text.isEmpty || state.isCodeBlock(next) { break }
            let rowCells = cells(text)
            paddedCells += columnCount - rowCells.count
            if paddedCells > maxPaddedCells { break }
            if next == startLine + 2 { state.push(.tbodyOpen, "tbody", 1) }
            state.push(.trOpen, "tr", 1)
            for column in 0..<columnCount {
                pushCell(state, .tdOpen, .tdClose, "td", content: column < rowCells.count ? rowCells[column] : [], align: aligns[column])
            }
            state.push(.trClose, "tr", -1)
            next += 1
        }
        if next > startLine + 2 { state.push(.tbodyClose, "tbody", -1) }
        state.push(.tableClose, "table", -1)
        state.line = next
        state.parent = oldParent
        return true
    }

    private static func pushCell(_ state: BlockState, _ open: Token.Kind, _ close: Token.Kind, _ tag: String,
                                 content: [UInt8], align: String) {
        let token = state.push(open, tag, 1)
        if !align.isEmpty { token.attributes = [("style", Array("text-align:\(align)".utf8))] }
        let inline = state.push(.inline, "", 0)
        inline.content = Characters.trim(content)
        state.push(close, tag, -1)
    }

    private static func line(_ state: BlockState, _ line: Int) -> ArraySlice<UInt8> {
        state.src[state.contentStart(line)..<max(state.contentStart(line), state.eMarks[line])]
    }

    /// Each column's alignment (`left`, `center`, `right` or empty) from a delimiter row, or nil.
    private static func alignments(_ state: BlockState, _ line: Int) -> [String]? {
        var pos = state.contentStart(line)
        let maximum = state.eMarks[line]
        func isDelimiterByte(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "|") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
        }
        guard pos + 1 < maximum else { return nil }
        let first = state.src[pos], second = state.src[pos + 1]
        guard isDelimiterByte(first), isDelimiterByte(second) || second.isSpaceOrTab else { return nil }
        if first == UInt8(ascii: "-"), second.isSpaceOrTab { return nil }  // a list item, not a table
        pos += 2
        while pos < maximum {
            guard isDelimiterByte(state.src[pos]) || state.src[pos].isSpaceOrTab else { return nil }
            pos += 1
        }
        let columns = self.line(state, line).split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        var aligns: [String] = []
        for (index, column) in columns.enumerated() {
            let text = Characters.trim(column)
            if text.isEmpty {
                if index == 0 || index == columns.count - 1 { continue }
                return nil
            }
            let leftColon = text.first == UInt8(ascii: ":"), rightColon = text.last == UInt8(ascii: ":")
            let dashes = text.dropFirst(leftColon ? 1 : 0).dropLast(rightColon && text.count > 1 ? 1 : 0)
            guard !dashes.isEmpty, dashes.allSatisfy({ $0 == UInt8(ascii: "-") }) else { return nil }
            aligns.append(rightColon ? (leftColon ? "center" : "right") : (leftColon ? "left" : ""))
        }
        return aligns
    }

    /// A row's cells: split at unescaped `|` (an escaped `\|` loses its backslash), without
    /// the empty cells that a leading or trailing pipe makes.
    private static func cells(_ row: ArraySlice<UInt8>) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        var escaped = false
        for byte in row {
            if byte == UInt8(ascii: "|") {
                if escaped {
                    current.removeLast()
                    current.append(byte)
                } else {
                    result.append(current)
                    current = []
                }
            } else {
                current.append(byte)
            }
            escaped = byte == UInt8(ascii: "\\")
        }
        result.append(current)
        if result.first?.isEmpty == true { result.removeFirst() }
        if result.last?.isEmpty == true { result.removeLast() }
        return result
    }
}
