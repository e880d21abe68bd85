/// Links and images (§6.3, §6.4): inline `[text](destination "title")`, full, collapsed
/// and shortcut references, and autolinks (§6.5).
enum LinkRules {
    /// The position of the `]` closing the label whose `[` is at `start`, or -1. With
    /// `disableNested`, a label containing a link is refused (links do not nest).
    static func labelEnd(_ state: InlineState, _ start: Int, disableNested: Bool) -> Int {
        let oldPos = state.pos
        defer { state.pos = oldPos }
        state.pos = start + 1
        var level = 1
        while state.pos < state.posMax {
            let marker = state.src[state.pos]
            if marker == UInt8(ascii: "]") {
                level -= 1
                if level == 0 { return state.pos }
            }
            let previous = state.pos
            InlineParser.skipToken(state)
            if marker == UInt8(ascii: "[") {
                if previous == state.pos - 1 {
                    level += 1
                } else if disableNested {
                    return -1
                }
            }
        }
        return -1
    }

    static func link(_ state: InlineState, silent: Bool) -> Bool {
        guard state.src[state.pos] == UInt8(ascii: "[") else { return false }
        let labelStart = state.pos + 1
        let labelEnd = LinkRules.labelEnd(state, state.pos, disableNested: true)
        guard labelEnd >= 0 else { return false }
        guard let target = target(state, labelStart: labelStart, labelEnd: labelEnd) else { return false }
        if !silent {
            let maximum = state.posMax
            state.pos = labelStart
            state.posMax = labelEnd
            let token = state.push(.linkOpen, "a", 1)
            token.attributes = [("href", target.destination)]
            if !target.title.isEmpty { token.attributes.append(("title", target.title)) }
            InlineParser.tokenize(state)
            state.push(.linkClose, "a", -1)
            state.posMax = maximum
        }
        state.pos = target.next
        return true
    }

    static func image(_ state: InlineState, silent: Bool) -> Bool {
        guard state.src[state.pos] == UInt8(ascii: "!"), state.pos + 1 < state.posMax,
              state.src[state.pos + 1] == UInt8(ascii: "[") else { return false }
        let labelStart = state.pos + 2
        let labelEnd = LinkRules.labelEnd(state, state.pos + 1, disableNested: false)
        guard labelEnd >= 0 else { return false }
        guard let target = target(state, labelStart: labelStart, labelEnd: labelEnd) else { return false }
        if !silent {
            let description = Array(state.src[labelStart..<labelEnd])
            let token = state.push(.image, "img", 0)
            token.attributes = [("src", target.destination), ("alt", [])]
            token.children = InlineParser.parse(description, references: state.references)
            token.content = description
            if !target.title.isEmpty { token.attributes.append(("title", target.title)) }
        }
        state.pos = target.next
        return true
    }

    /// What follows a link text ending at `labelEnd`: an inline destination and title in
    /// parentheses, or a reference label that is defined; nil when neither.
    private static func target(_ state: InlineState, labelStart: Int,
                               labelEnd: Int) -> (destination: [UInt8], title: [UInt8], next: Int)? {
        let maximum = state.posMax
        let src = state.src
        var pos = labelEnd + 1
        func skipSpace() { while pos < maximum, src[pos].isSpaceOrTab || src[pos] == 0x0A { pos += 1 } }
        if pos < maximum, src[pos] == UInt8(ascii: "(") {
            pos += 1
            skipSpace()
            guard pos < maximum else { return nil }
            var destination: [UInt8] = []
            var title: [UInt8] = []
            if let parsed = LinkDestination.parse(src, pos, maximum) {
                destination = URLEncoding.normalize(parsed.destination)
                pos = parsed.next
            }
            let start = pos
            skipSpace()
            let parsedTitle = LinkTitle.parse(src, pos, maximum)
            if pos < maximum, start != pos, parsedTitle.ok {
                title = parsedTitle.title
                pos = parsedTitle.next
                skipSpace()
            }
            if pos < maximum, src[pos] == UInt8(ascii: ")") { return (destination, title, pos + 1) }
            // Not an inline link after all: it may still be a shortcut reference.
            pos = labelEnd + 1
        }
        guard !state.references.isEmpty else { return nil }
        var label: ArraySlice<UInt8> = []
        if pos < maximum, src[pos] == UInt8(ascii: "[") {
            let end = LinkRules.labelEnd(state, pos, disableNested: false)
            if end >= 0 {
                label = src[(pos + 1)..<end]
                pos = end + 1
            } else {
                pos = labelEnd + 1
            }
        } else {
            pos = labelEnd + 1
        }
        if label.isEmpty { label = src[labelStart..<labelEnd] }
        guard let reference = state.references[Characters.normalizeLabel(label)] else { return nil }
        return (reference.destination, reference.title, pos)
    }

    /// `<scheme:...>` and `<user@host>`.
    static func autolink(_ state: InlineState, silent: Bool) -> Bool {
        let start = state.pos
        guard state.src[start] == UInt8(ascii: "<") else { return false }
        var pos = start + 1
        while true {
            guard pos < state.posMax else { return false }
            let ch = state.src[pos]
            if ch == UInt8(ascii: "<") { return false }
            if ch == UInt8(ascii: ">") { break }
            pos += 1
        }
        let url = state.src[(start + 1)..<pos]
        let destination: [UInt8]
        if isURI(url) {
            destination = URLEncoding.normalize(Array(url))
        } else if isEmail(url) {
            destination = URLEncoding.normalize(Array("mailto:".utf8) + url)
        } else {
            return false
        }
        if !silent {
            let open = state.push(.linkOpen, "a", 1)
            open.attributes = [("href", destination)]
            let text = state.push(.text, "", 0)
            text.content = Array(url)
            state.push(.linkClose, "a", -1)
        }
        state.pos = pos + 1
        return true
    }

    /// A scheme of 2–32 letters, digits, `+`, `.`, `-` (starting with a letter), `:`, then
    /// no spaces, controls or angle brackets.
    private static func isURI(_ s: ArraySlice<UInt8>) -> Bool {
        guard let colon = s.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let scheme = s[s.startIndex..<colon]
        guard (2...32).contains(scheme.count), scheme.first!.isASCIILetter,
              scheme.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else { return false }
        return s[(colon + 1)...].allSatisfy { $0 > 0x20 && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    /// The HTML5 e-mail address syntax (§6.5).
    private static func isEmail(_ s: ArraySlice<UInt8>) -> Bool {
        guard let at = s.firstIndex(of: UInt8(ascii: "@")) else { return false }
        let local = s[s.startIndex..<at]
        let localSymbols = Set(".!#$%&'*+/=?^_`{|}~-".utf8)
        guard !local.isEmpty, local.allSatisfy({ $0.isASCIIAlphanumeric || localSymbols.contains($0) }) else { return false }
        let labels = s[(at + 1)...].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first!.isASCIIAlphanumeric && label.last!.isASCIIAlphanumeric
                && label.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }
        }
    }
}
