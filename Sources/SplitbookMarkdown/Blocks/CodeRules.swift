/// Indented code blocks (§4.4) and fenced code blocks (§4.5).
enum CodeRules {
    static func indented(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        guard state.isCodeBlock(startLine) else { return false }
        var last = startLine + 1, next = startLine + 1
        while next < endLine {
            if state.isEmpty(next) {
                next += 1
            } else if state.isCodeBlock(next) {
                next += 1
                last = next
            } else {
                break
            }
        }
        state.line = last
        let token = state.push(.codeBlock, "code", 0)
        token.content = state.lines(startLine, last, indent: 4 + state.blkIndent, keepLastLF: false) + [0x0A]
        return true
    }

    static func fence(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        var pos = state.contentStart(startLine)
        var maximum = state.eMarks[startLine]
        guard !state.isCodeBlock(startLine), pos + 3 <= maximum else { return false }
        let marker = state.src[pos]
        guard marker == UInt8(ascii: "~") || marker == UInt8(ascii: "`") else { return false }
        let markerStart = pos
        pos = state.skipChars(pos, marker)
        let length = pos - markerStart
        guard length >= 3 else { return false }
        let params = state.src[pos..<maximum]
        if marker == UInt8(ascii: "`"), params.contains(marker) { return false }
        if silent { return true }

        var next = startLine
        var haveEndMarker = false
        while true {
            next += 1
            if next >= endLine { break }
            pos = state.contentStart(next)
            let start = pos
            maximum = state.eMarks[next]
            if pos < maximum, state.sCount[next] < state.blkIndent { break }
            guard pos < state.src.count else { break }
            if state.src[pos] != marker || state.isCodeBlock(next) { continue }
            pos = state.skipChars(pos, marker)
            if pos - start < length { continue }
            pos = state.skipSpaces(pos)
            if pos < maximum { continue }
            haveEndMarker = true
            break
        }
        state.line = next + (haveEndMarker ? 1 : 0)
        let token = state.push(.fence, "code", 0)
        token.info = Array(params)
        token.content = state.lines(startLine + 1, next, indent: state.sCount[startLine], keepLastLF: true)
        return true
    }
}
