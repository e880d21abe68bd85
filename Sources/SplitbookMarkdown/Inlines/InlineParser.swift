/// Turns a block's text into inline tokens (CommonMark §6): each rule tries to match at
/// the current position; what none matches is literal text. Emphasis is resolved
/// afterwards from the delimiter lists (`EmphasisRule`).
enum InlineParser {
    enum Rule { case text, newline, escape, backticks, emphasis, link, image, autolink, htmlInline, entity }

    static let rules: [Rule] = [.text, .newline, .escape, .backticks, .emphasis, .link, .image, .autolink, .htmlInline, .entity]

    /// Links and images nested deeper than this are read as text, which keeps the
    /// recursion bounded on pathological input.
    static let maxNesting = 48

    /// The inline tokens of `src`.
    static func parse(_ src: [UInt8], references: [String: LinkReference]) -> [Token] {
        let state = InlineState(src, references: references)
        tokenize(state)
        EmphasisRule.balancePairs(state)
        EmphasisRule.resolve(state)
        EmphasisRule.joinText(state)
        return state.tokens
    }

    static func run(_ rule: Rule, _ state: InlineState, silent: Bool) -> Bool {
        switch rule {
        case .text: return TextRules.text(state, silent: silent)
        case .newline: return TextRules.newline(state, silent: silent)
        case .escape: return TextRules.escape(state, silent: silent)
        case .backticks: return CodeSpanRule.parse(state, silent: silent)
        case .emphasis: return EmphasisRule.tokenize(state, silent: silent)
        case .link: return LinkRules.link(state, silent: silent)
        case .image: return LinkRules.image(state, silent: silent)
        case .autolink: return LinkRules.autolink(state, silent: silent)
        case .htmlInline: return HTMLInlineRule.parse(state, silent: silent)
        case .entity: return TextRules.entity(state, silent: silent)
        }
    }

    /// Tokenizes `state.src[state.pos..<state.posMax]`.
    static func tokenize(_ state: InlineState) {
        let end = state.posMax
        while state.pos < end {
            var matched = false
            if state.level < maxNesting {
                for rule in rules where run(rule, state, silent: false) {
                    matched = true
                    break
                }
            }
            if matched {
                if state.pos >= end { break }
                continue
            }
            state.pending.append(state.src[state.pos])
            state.pos += 1
        }
        if !state.pending.isEmpty { state.pushPending() }
    }

    /// Moves past the one inline construct at `state.pos` without making tokens
    /// (finding where a link label ends); remembered per start position.
    static func skipToken(_ state: InlineState) {
        let pos = state.pos
        let known = state.skipCache[pos]
        if known >= 0 {
            state.pos = known
            return
        }
        var matched = false
        if state.level < maxNesting {
            for rule in rules {
                state.level += 1
                matched = run(rule, state, silent: true)
                state.level -= 1
                if matched { break }
            }
        } else {
            state.pos = state.posMax
        }
        if !matched { state.pos += 1 }
        state.skipCache[pos] = state.pos
    }
}
