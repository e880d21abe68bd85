/// An emphasis delimiter run's member (§6.2): one `*` or `_` text token that may
/// become (half of) an `<em>` or `<strong>` tag.
struct Delimiter {
    var marker: UInt8
    /// The length of the whole run this delimiter belongs to.
    var length: Int
    /// Index of its text token.
    var token: Int
    /// Index of the matching closer in the same list, or -1.
    var end: Int
    var canOpen: Bool
    var canClose: Bool
}

/// The delimiters of one nesting level (the top level, or inside one link).
final class DelimiterList {
    var items: [Delimiter] = []
}

/// The inline parser's state over one block's text, as markdown-it's `StateInline`.
final class InlineState {
    let src: [UInt8]
    let references: [String: LinkReference]
    var tokens: [Token] = []
    /// The delimiter list each opening token started (links), by token index.
    var tokenDelimiters: [DelimiterList?] = []
    var pos = 0
    var posMax: Int
    var level = 0
    var pending: [UInt8] = []
    var pendingLevel = 0
    /// Where `skipToken` ended from each start (-1: not yet), so that link labels are scanned once.
    var skipCache: [Int]
    var delimiters = DelimiterList()
    private var outerDelimiters: [DelimiterList] = []
    /// The last start of a backtick run of each length (nil until first needed).
    var lastBacktickRun: [Int: Int]?
    /// The last position of each raw HTML terminator, so hopeless `<` fail at once.
    var lastTerminator: [String: Int] = [:]

    init(_ src: [UInt8], references: [String: LinkReference]) {
        self.src = src
        self.references = references
        self.posMax = src.count
        self.skipCache = [Int](repeating: -1, count: src.count + 1)
    }

    func pushPending() {
        let token = Token(.text, "", 0)
        token.content = pending
        token.level = pendingLevel
        tokens.append(token)
        tokenDelimiters.append(nil)
        pending = []
    }

    /// Appends a token, flushing pending text first; an opening token starts a new
    /// delimiter list and its closing token returns to the outer one.
    @discardableResult
    func push(_ kind: Token.Kind, _ tag: String, _ nesting: Int) -> Token {
        if !pending.isEmpty { pushPending() }
        let token = Token(kind, tag, nesting)
        var meta: DelimiterList?
        if nesting < 0 {
            level -= 1
            delimiters = outerDelimiters.removeLast()
        }
        token.level = level
        if nesting > 0 {
            level += 1
            outerDelimiters.append(delimiters)
            delimiters = DelimiterList()
            meta = delimiters
        }
        pendingLevel = level
        tokens.append(token)
        tokenDelimiters.append(meta)
        return token
    }

    /// Whether the run of `marker`s at `start` can open and/or close emphasis (§6.2).
    func scanDelimiters(_ start: Int, canSplitWord: Bool) -> (canOpen: Bool, canClose: Bool, length: Int) {
        let marker = src[start]
        var pos = start
        while pos < posMax, src[pos] == marker { pos += 1 }
        let last = Characters.scalar(before: start, in: src)
        let next = Characters.scalar(at: pos, in: src, end: posMax)
        let lastIsPunctuation = Characters.isPunctuation(last)
        let nextIsPunctuation = Characters.isPunctuation(next)
        let lastIsWhitespace = Characters.isWhitespace(last)
        let nextIsWhitespace = Characters.isWhitespace(next)
        let leftFlanking = !(nextIsWhitespace || (nextIsPunctuation && !(lastIsWhitespace || lastIsPunctuation)))
        let rightFlanking = !(lastIsWhitespace || (lastIsPunctuation && !(nextIsWhitespace || nextIsPunctuation)))
        let canOpen = leftFlanking && (canSplitWord || !rightFlanking || lastIsPunctuation)
        let canClose = rightFlanking && (canSplitWord || !leftFlanking || nextIsPunctuation)
        return (canOpen, canClose, pos - start)
    }

    /// The last position of `terminator` in the source, or -1.
    func lastPosition(of terminator: String) -> Int {
        if let known = lastTerminator[terminator] { return known }
        let needle = Array(terminator.utf8)
        var found = -1
        var pos = src.count - needle.count
        while pos >= 0 {
            if src[pos] == needle[0], Array(src[pos..<(pos + needle.count)]) == needle { found = pos; break }
            pos -= 1
        }
        lastTerminator[terminator] = found
        return found
    }
}
