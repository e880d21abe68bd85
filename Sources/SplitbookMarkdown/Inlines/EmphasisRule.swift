/// Emphasis and strong emphasis (§6.2) with the delimiter-run algorithm: each `*`/`_`
/// becomes a text token and a delimiter; `balancePairs` matches closers to openers
/// (rule of three, bottom indexes so no opener is scanned twice per kind), and
/// `resolve` turns matched pairs into tags, nesting `<strong>` for doubled pairs.
enum EmphasisRule {
    static func tokenize(_ state: InlineState, silent: Bool) -> Bool {
        let marker = state.src[state.pos]
        guard !silent, marker == UInt8(ascii: "_") || marker == UInt8(ascii: "*") else { return false }
        let scanned = state.scanDelimiters(state.pos, canSplitWord: marker == UInt8(ascii: "*"))
        for _ in 0..<scanned.length {
            let token = state.push(.text, "", 0)
            token.content = [marker]
            state.delimiters.items.append(Delimiter(marker: marker, length: scanned.length, token: state.tokens.count - 1,
                                                    end: -1, canOpen: scanned.canOpen, canClose: scanned.canClose))
        }
        state.pos += scanned.length
        return true
    }

    static func balancePairs(_ state: InlineState) {
        processDelimiters(state.delimiters)
        for list in state.tokenDelimiters { if let list { processDelimiters(list) } }
    }

    private static func processDelimiters(_ list: DelimiterList) {
        var delimiters = list.items
        guard !delimiters.isEmpty else { return }
        defer { list.items = delimiters }
        // For each marker, by (closer can open, length mod 3): below which index no opener can match.
        var openersBottom: [UInt8: [Int]] = [:]
        var headerIndex = 0
        var lastTokenIndex = -2
        var jumps: [Int] = []
        jumps.reserveCapacity(delimiters.count)
        for closerIndex in 0..<delimiters.count {
            let closer = delimiters[closerIndex]
            jumps.append(0)
            if delimiters[headerIndex].marker != closer.marker || lastTokenIndex != closer.token - 1 {
                headerIndex = closerIndex
            }
            lastTokenIndex = closer.token
            guard closer.canClose else { continue }
            let bucket = (closer.canOpen ? 3 : 0) + closer.length % 3
            let minOpenerIndex = openersBottom[closer.marker]?[bucket] ?? -1
            var openerIndex = headerIndex - jumps[headerIndex] - 1
            var newMinOpenerIndex = openerIndex
            while openerIndex > minOpenerIndex {
                let opener = delimiters[openerIndex]
                if opener.marker != closer.marker {
                    openerIndex -= jumps[openerIndex] + 1
                    continue
                }
                if opener.canOpen, opener.end < 0 {
                    // The rule of three: not when the sum of both runs is a multiple of 3.
                    let isOddMatch = (opener.canClose || closer.canOpen) && (opener.length + closer.length) % 3 == 0
                        && (opener.length % 3 != 0 || closer.length % 3 != 0)
                    if !isOddMatch {
                        let lastJump = openerIndex > 0 && !delimiters[openerIndex - 1].canOpen ? jumps[openerIndex - 1] + 1 : 0
                        jumps[closerIndex] = closerIndex - openerIndex + lastJump
                        jumps[openerIndex] = lastJump
                        delimiters[closerIndex].canOpen = false
                        delimiters[openerIndex].end = closerIndex
                        delimiters[openerIndex].canClose = false
                        newMinOpenerIndex = -1
                        lastTokenIndex = -2
                        break
                    }
                }
                openerIndex -= jumps[openerIndex] + 1
            }
            if newMinOpenerIndex != -1 {
                var bottoms = openersBottom[closer.marker] ?? [-1, -1, -1, -1, -1, -1]
                let updatedBucket = (delimiters[closerIndex].canOpen ? 3 : 0) + closer.length % 3
                bottoms[updatedBucket] = newMinOpenerIndex
                openersBottom[closer.marker] = bottoms
            }
        }
    }

    /// Turns matched delimiter pairs into `em` and `strong` tags.
    static func resolve(_ state: InlineState) {
        resolve(state, state.delimiters.items)
        for list in state.tokenDelimiters { if let list { resolve(state, list.items) } }
    }

    private static func resolve(_ state: InlineState, _ delimiters: [Delimiter]) {
        var i = delimiters.count - 1
        while i >= 0 {
            let startDelimiter = delimiters[i]
            guard startDelimiter.end != -1 else { i -= 1; continue }
            let endDelimiter = delimiters[startDelimiter.end]
            let isStrong = i > 0 && delimiters[i - 1].end == startDelimiter.end + 1
                && delimiters[i - 1].marker == startDelimiter.marker
                && delimiters[i - 1].token == startDelimiter.token - 1
                && delimiters[startDelimiter.end + 1].token == endDelimiter.token + 1
            let tag = isStrong ? "strong" : "em"
            let open = state.tokens[startDelimiter.token]
            open.kind = isStrong ? .strongOpen : .emOpen
            open.tag = tag
            open.nesting = 1
            open.content = []
            let close = state.tokens[endDelimiter.token]
            close.kind = isStrong ? .strongClose : .emClose
            close.tag = tag
            close.nesting = -1
            close.content = []
            if isStrong {
                state.tokens[delimiters[i - 1].token].content = []
                state.tokens[delimiters[startDelimiter.end + 1].token].content = []
                i -= 1
            }
            i -= 1
        }
    }

    /// Merges adjacent text tokens (delimiters left as text) and recomputes levels.
    static func joinText(_ state: InlineState) {
        var joined: [Token] = []
        joined.reserveCapacity(state.tokens.count)
        var level = 0
        for token in state.tokens {
            if token.nesting < 0 { level -= 1 }
            token.level = level
            if token.nesting > 0 { level += 1 }
            if token.kind == .text, let previous = joined.last, previous.kind == .text {
                previous.content += token.content
            } else {
                joined.append(token)
            }
        }
        state.tokens = joined
    }
}
