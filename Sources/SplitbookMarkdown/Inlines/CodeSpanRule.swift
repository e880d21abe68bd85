/// Code spans (§6.1): a backtick run, then everything up to the next run of the same
/// length; an unmatched run is literal text.
enum CodeSpanRule {
    static func parse(_ state: InlineState, silent: Bool) -> Bool {
        let start = state.pos
        guard state.src[start] == UInt8(ascii: "`") else { return false }
        let maximum = state.posMax
        var pos = start + 1
        while pos < maximum, state.src[pos] == UInt8(ascii: "`") { pos += 1 }
        let openerLength = pos - start
        let lastRuns = state.lastBacktickRun ?? lastRunsByLength(state.src)
        state.lastBacktickRun = lastRuns
        // Only look for a closer when a run of this length exists further on.
        if let last = lastRuns[openerLength], last >= pos {
            var matchEnd = pos
            while let matchStart = firstBacktick(state.src, from: matchEnd), matchStart < maximum {
                matchEnd = matchStart + 1
                while matchEnd < state.src.count, state.src[matchEnd] == UInt8(ascii: "`") { matchEnd += 1 }
                if matchEnd > maximum { break }
                if matchEnd - matchStart == openerLength {
                    if !silent {
                        let token = state.push(.codeInline, "code", 0)
                        token.content = content(state.src[pos..<matchStart])
                    }
                    state.pos = matchEnd
                    return true
                }
            }
        }
        if !silent { state.pending += state.src[start..<pos] }
        state.pos = pos
        return true
    }

    /// Line endings become spaces; one space is stripped from each side when both
    /// sides have one and the content is not all spaces.
    private static func content(_ raw: ArraySlice<UInt8>) -> [UInt8] {
        var bytes = raw.map { $0 == 0x0A ? 0x20 : $0 }
        if bytes.count >= 2, bytes.first == 0x20, bytes.last == 0x20, bytes.contains(where: { $0 != 0x20 }) {
            bytes.removeFirst()
            bytes.removeLast()
        }
        return bytes
    }

    private static func firstBacktick(_ s: [UInt8], from: Int) -> Int? {
        var pos = from
        while pos < s.count {
            if s[pos] == UInt8(ascii: "`") { return pos }
            pos += 1
        }
        return nil
    }

    private static func lastRunsByLength(_ s: [UInt8]) -> [Int: Int] {
        var runs: [Int: Int] = [:]
        var pos = 0
        while let start = firstBacktick(s, from: pos) {
            pos = start + 1
            while pos < s.count, s[pos] == UInt8(ascii: "`") { pos += 1 }
            runs[pos - start] = start
        }
        return runs
    }
}
