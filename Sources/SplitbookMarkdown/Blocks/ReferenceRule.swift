/// Link reference definitions (§4.7): `[label]: destination "title"`, possibly spread
/// over several lines. The first definition of a label wins.
enum ReferenceRule {
    static func parse(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        let start = state.contentStart(startLine)
        guard !state.isCodeBlock(startLine), state.byte(start) == UInt8(ascii: "[") else { return false }
        var next = startLine + 1
        var string = Array(state.src[start..<min(state.eMarks[startLine] + 1, state.src.count)])
        var maximum = string.count

        func appendNextLine() -> Bool {
            guard let more = nextLine(state, next) else { return false }
            string += more
            maximum = string.count
            next += 1
            return true
        }

        // The label: no unescaped brackets inside.
        var labelEnd = -1
        var pos = 1
        while pos < maximum {
            let ch = string[pos]
            if ch == UInt8(ascii: "[") { return false }
            if ch == UInt8(ascii: "]") { labelEnd = pos; break }
            if ch == 0x0A {
                _ = appendNextLine()
            } else if ch == UInt8(ascii: "\\") {
                pos += 1
                if pos < maximum, string[pos] == 0x0A { _ = appendNextLine() }
            }
            pos += 1
        }
        guard labelEnd >= 0, labelEnd + 1 < string.count, string[labelEnd + 1] == UInt8(ascii: ":") else { return false }

        func skipWhitespace(from: Int, lines: Bool) -> Int {
            var pos = from
            while pos < maximum {
                let ch = string[pos]
                if ch == 0x0A {
                    if lines { _ = appendNextLine() } else { break }
                } else if !ch.isSpaceOrTab {
                    break
                }
                pos += 1
            }
            return pos
        }

        pos = skipWhitespace(from: labelEnd + 2, lines: true)
        guard let destination = LinkDestination.parse(string, pos, maximum) else { return false }
        let href = URLEncoding.normalize(destination.destination)
        pos = destination.next
        let destinationEnd = pos
        let destinationEndLine = next
        let titleStart = pos
        pos = skipWhitespace(from: pos, lines: true)

        var title = LinkTitle.parse(string, pos, maximum)
        while title.canContinue {
            let previousEnd = maximum
            guard appendNextLine() else { break }
            pos = previousEnd
            title = LinkTitle.parse(string, pos, maximum, continuing: title)
        }
        var titleBytes: [UInt8] = []
        if pos < maximum, titleStart != pos, title.ok {
            titleBytes = title.title
            pos = title.next
        } else {
            pos = destinationEnd
            next = destinationEndLine
        }
        pos = skipWhitespace(from: pos, lines: false)
        if pos < maximum, string[pos] != 0x0A, !titleBytes.isEmpty {
            // Garbage after the title: the definition may still end at the destination.
            titleBytes = []
            pos = skipWhitespace(from: destinationEnd, lines: false)
            next = destinationEndLine
        }
        if pos < maximum, string[pos] != 0x0A { return false }
        let label = Characters.normalizeLabel(string[1..<labelEnd])
        guard !label.isEmpty else { return false }
        if silent { return true }
        state.line = next
        if state.references[label] == nil {
            state.references[label] = LinkReference(destination: href, title: titleBytes)
        }
        return true
    }

    /// The next line's content (with its `\n`) when it may continue a definition, else nil.
    private static func nextLine(_ state: BlockState, _ line: Int) -> [UInt8]? {
        guard line < state.lineMax, !state.isEmpty(line) else { return nil }
        if !state.isCodeBlock(line), state.sCount[line] >= 0 {
            let oldParent = state.parent
            state.parent = .reference
            let terminated = BlockParser.terminates(BlockParser.paragraphTerminators, state, line, state.lineMax)
            state.parent = oldParent
            if terminated { return nil }
        }
        let start = state.contentStart(line)
        return Array(state.src[start..<min(state.eMarks[line] + 1, state.src.count)])
    }
}
