/// HTML blocks (§4.6): seven kinds, each with its start condition and end condition.
enum HTMLBlockRule {
    /// How a kind of HTML block ends: a line containing a string, or a blank line.
    private enum End {
        case containing([String])
        case blankLine
    }

    static let blockNames: Set<String> = [
        "address", "article", "aside", "base", "basefont", "blockquote", "body", "caption", "center", "col",
        "colgroup", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr",
        "html", "iframe", "legend", "li", "link", "main", "menu", "menuitem", "nav", "noframes", "ol",
        "optgroup", "option", "p", "param", "search", "section", "summary", "table", "tbody", "td", "tfoot",
        "th", "thead", "title", "tr", "track", "ul",
    ]

    static func parse(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        let pos = state.contentStart(startLine)
        let maximum = state.eMarks[startLine]
        guard !state.isCodeBlock(startLine), pos < maximum, state.src[pos] == UInt8(ascii: "<"),
              let (kind, end) = startCondition(state.src, pos, maximum) else { return false }
        // Kind 7 (any complete tag alone on its line) may not interrupt a paragraph.
        if silent { return kind != 7 }

        var next = startLine + 1
        if !endsHere(end, state.src, pos, maximum) {
            while next < endLine {
                let blank = state.isEmpty(next)
                if state.sCount[next] < state.blkIndent, !blank || isBlankLineEnd(end) { break }
                let start = state.contentStart(next)
                if case .blankLine = end, blank { break }
                if endsHere(end, state.src, start, state.eMarks[next]) {
                    next += 1
                    break
                }
                next += 1
            }
        }
        state.line = next
        let token = state.push(.htmlBlock, "", 0)
        token.content = state.lines(startLine, next, indent: state.blkIndent, keepLastLF: true)
        return true
    }

    private static func isBlankLineEnd(_ end: End) -> Bool {
        if case .blankLine = end { return true }
        return false
    }

    private static func endsHere(_ end: End, _ s: [UInt8], _ start: Int, _ maximum: Int) -> Bool {
        switch end {
        case .blankLine:
            return start >= maximum
        case .containing(let needles):
            return needles.contains { needle in
                (start..<maximum).contains { HTMLSyntax.hasPrefixIgnoringCase(s, $0, maximum, needle) }
            }
        }
    }

    /// The kind (1–7) of HTML block the line `s[pos..<maximum]` starts, and how it ends.
    private static func startCondition(_ s: [UInt8], _ pos: Int, _ maximum: Int) -> (Int, End)? {
        for name in ["script", "pre", "style", "textarea"]
        where HTMLSyntax.hasPrefixIgnoringCase(s, pos + 1, maximum, name) {
            let after = pos + 1 + name.utf8.count
            if after >= maximum || s[after].isASCIIWhitespace || s[after] == UInt8(ascii: ">") {
                return (1, .containing(["</script>", "</pre>", "</style>", "</textarea>"]))
            }
        }
        if HTMLSyntax.hasPrefix(s, pos, maximum, "<!--") { return (2, .containing(["-->"])) }
        if HTMLSyntax.hasPrefix(s, pos, maximum, "<?") { return (3, .containing(["?>"])) }
        if HTMLSyntax.hasPrefix(s, pos, maximum, "<![CDATA[") { return (5, .containing(["]]>"])) }
        if HTMLSyntax.hasPrefix(s, pos, maximum, "<!"), pos + 2 < maximum, s[pos + 2].isASCIILetter {
            return (4, .containing([">"]))
        }
        var nameStart = pos + 1
        if nameStart < maximum, s[nameStart] == UInt8(ascii: "/") { nameStart += 1 }
        var nameEnd = nameStart
        while nameEnd < maximum, s[nameEnd].isASCIIAlphanumeric { nameEnd += 1 }
        if nameEnd > nameStart {
            let name = String(decoding: s[nameStart..<nameEnd].map { $0.isASCIILetter ? $0 | 0x20 : $0 }, as: UTF8.self)
            if blockNames.contains(name),
               nameEnd >= maximum || s[nameEnd].isASCIIWhitespace || s[nameEnd] == UInt8(ascii: ">")
                || HTMLSyntax.hasPrefix(s, nameEnd, maximum, "/>") {
                return (6, .blankLine)
            }
        }
        if let tagEnd = HTMLSyntax.tagEnd(s, pos, maximum),
           HTMLSyntax.skipWhitespace(s, tagEnd, maximum) >= maximum {
            return (7, .blankLine)
        }
        return nil
    }
}
