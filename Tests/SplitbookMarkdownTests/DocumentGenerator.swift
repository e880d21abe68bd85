import SplitbookTestSupport

/// Random Markdown documents built from fragments of every CommonMark construct (and
/// tables), nested into one another: emphasis inside links inside list items inside
/// block quotes, lazy lines, definitions used before and after they appear.
struct DocumentGenerator {
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func document() -> String {
        var blocks: [String] = []
        for _ in 0..<int(1...5) { blocks.append(block(depth: 0)) }
        if chance(0.4) { blocks.insert(definition(), at: int(0...blocks.count)) }
        return blocks.joined(separator: pick(["\n", "\n\n", "\n\n"])) + pick(["\n", "", "\n\n"])
    }

    // MARK: Blocks

    private mutating func block(depth: Int) -> String {
        let containers = depth < 3
        switch int(0...(containers ? 15 : 11)) {
        case 0, 1, 2: return paragraph()
        case 3: return atxHeading()
        case 4: return inline() + "\n" + pick(["===", "---", "  ==  ", "-", "= ="])
        case 5: return pick(["***", "- - -", "___", " * * *", "--", "_ _ _ _"])
        case 6: return fencedCode()
        case 7: return "    " + pick(["code", "let x = 1", "*not em*"]) + pick(["", "\n\n    more", "\n      indented"])
        case 8: return htmlBlock()
        case 9: return table()
        case 10: return definition()
        case 11: return paragraph() + "\n" + pick(["    indented continuation", "# heading", "> quote", "1) item", "2. not a list"])
        case 12, 13: return list(depth: depth)
        default: return blockQuote(depth: depth)
        }
    }

    private mutating func paragraph() -> String {
        var lines = [inline()]
        for _ in 0..<int(0...2) { lines.append(inline()) }
        return lines.joined(separator: pick(["\n", "  \n", "\\\n", "\n   "]))
    }

    private mutating func atxHeading() -> String {
        String(repeating: "#", count: int(1...7)) + pick([" ", " ", "\t", ""]) + inline() + pick(["", " ##", " #", "#"])
    }

    private mutating func fencedCode() -> String {
        let fence = pick(["```", "~~~", "````", "~~~~"])
        let info = pick(["", "swift", "python extra words", " js ", "a&amp;b"])
        let body = pick(["let x = *1*", "<div>&amp;</div>", "a\n\n  b", "```", "~~~"])
        return fence + info + "\n" + body + "\n" + pick([fence, fence + "`~", "", "   " + fence])
    }

    private mutating func htmlBlock() -> String {
        pick([
            "<script>\nlet a = '*x*';\n</script>",
            "<pre>\n*raw*\n\n</pre>",
            "<!-- a comment\n\n*still* -->",
            "<?php echo 1; ?>",
            "<!DOCTYPE html>",
            "<![CDATA[\n*x* & y\n]]>",
            "<div>\n*not emphasis*\n</div>",
            "<div class=\"note\">\n\n*emphasis*\n\n</div>",
            "<table><tr><td>\n**cell**\n</td></tr></table>",
            "<custom-tag data-x=\"1\">\n*inside*\n</custom-tag>",
            "</section>",
            "<span>inline start</span> *text*",
        ])
    }

    private mutating func table() -> String {
        let columns = int(1...3)
        let alignments = ["---", ":--", "--:", ":-:", "-"]
        let leading = chance(0.7)
        func row(_ cells: [String]) -> String {
            (leading ? "| " : "") + cells.joined(separator: " | ") + (leading && chance(0.8) ? " |" : "")
        }
        var lines = [row((0..<columns).map { _ in cell() })]
        lines.append(row((0..<columns).map { _ in pick(alignments) }))
        for _ in 0..<int(0...3) { lines.append(row((0..<int(1...columns + 1)).map { _ in cell() })) }
        return lines.joined(separator: "\n")
    }

    private mutating func cell() -> String {
        pick(["a", "*em*", "`code \\| pipe`", "b \\| c", "[link](/u)", "x_y_z", "**bold**", "1", "&amp;"])
    }

    private mutating func definition() -> String {
        let label = pick(["ref", "Ref", "other ref", "ẞ", "*emph*"])
        let destination = pick(["/url", "<with space>", "http://example.com/ä?q=1&r=2", "/a(b)c", "#frag"])
        let title = pick(["", " \"title\"", " 'it''s'", " (paren)", "\n  \"next line\"", " \"a &amp; \\\"b\\\"\""])
        return "[\(label)]:" + pick([" ", "\n   "]) + destination + title
    }

    private mutating func list(depth: Int) -> String {
        let ordered = chance(0.4)
        let marker = ordered ? pick([".", ")"]) : pick(["-", "*", "+"])
        let start = ordered ? int(0...3) : 0
        let loose = chance(0.3)
        var items: [String] = []
        for index in 0..<int(1...3) {
            let prefix = ordered ? "\(start + index)\(marker)" : marker
            let gap = pick([" ", " ", "  ", "   "])
            var content = block(depth: depth + 1)
            if chance(0.3) { content += "\n\n" + block(depth: depth + 1) }
            let width = prefix.count + gap.count
            let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
            var item = prefix + gap + lines[0]
            for line in lines.dropFirst() {
                item += "\n" + (line.isEmpty ? "" : String(repeating: " ", count: width) + line)
            }
            items.append(item)
        }
        return items.joined(separator: loose ? "\n\n" : "\n")
    }

    private mutating func blockQuote(depth: Int) -> String {
        var content = block(depth: depth + 1)
        if chance(0.3) { content += "\n\n" + block(depth: depth + 1) }
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        let lazy = chance(0.3)
        return lines.enumerated().map { index, line in
            if lazy, index == lines.count - 1, index > 0 { return String(line) }  // a lazy continuation line
            return (line.isEmpty ? ">" : pick(["> ", ">", ">  "])) + line
        }.joined(separator: "\n")
    }

    // MARK: Inlines

    /// Inline content; `inImage` leaves out escapes and entities, which markdown-it drops
    /// from the alt text of an image inside an image (see `Divergences`).
    private mutating func inline(depth: Int = 0, inImage: Bool = false) -> String {
        var parts: [String] = []
        for _ in 0..<int(1...5) { parts.append(fragment(depth: depth, inImage: inImage)) }
        return parts.joined(separator: pick([" ", " ", ""])).trimmingSpaces()
    }

    private mutating func fragment(depth: Int, inImage: Bool) -> String {
        let nested = depth < 2
        var kind = int(0...(nested ? 20 : 12))
        if inImage, kind == 5 || kind == 6 { kind = 0 }
        switch kind {
        case 0, 1: return pick(["foo", "bar baz", "snake_case_names", "__init__.py", "a*b*c", "2*3*4", "naïve café", "x_y_", "foo-bar",
                                "a\u{A0}*b*\u{A0}c", "\u{3000}_x_"])
        case 2: return pick(["`code`", "`` a ` b ``", "` `` `", "`unclosed", "`a\nb`", "` a `"])
        case 3: return pick(["<https://example.com/a?b=c&d>", "<mailto:x@y.z>", "<user@example.com>", "<made:up>", "<not a link>"])
        case 4: return pick(["<span class=\"x\">", "</span>", "<!-- c -->", "<?pi x ?>", "<br/>", "<a href='x'>", "<x y=z>"])
        case 5: return pick(["&amp;", "&copy;", "&#35;", "&#x22;", "&nosuch;", "&", "&ouml;"])
        case 6: return pick(["\\*", "\\_", "\\[", "\\`", "\\\\", "\\a", "\\<b>"])
        case 7: return pick(["*", "_", "**", "__", "***", "[", "]", "![", "(", ")", "<", ">", "\"", "!", "|"])
        case 8: return pick(["[ref]", "[Ref][]", "[text][other ref]", "[ẞ]", "[undefined]", "[ref] [other ref]", "[*emph*]"])
        case 9: return pick(["*", "_", "**", "__"]) + pick(["foo", "x", " spaced ", "punct."]) + pick(["*", "_", "**", "__"])
        case 10: return pick(["foo*", "*foo", "_foo", "foo_", "a **b", "c** d", "(*x*)", "\"_y_\""])
        case 11: return pick(["\n", "  \n", "\\\n"]) + pick(["next", "*x*"])
        case 12: return pick(["http://bare.example", "x@y", "1. item", "# not heading", "- dash"])
        case 13, 14:
            let marker = pick(["*", "_", "**", "__", "***"])
            return marker + inline(depth: depth + 1, inImage: inImage) + marker
        case 15, 16:
            return "[" + inline(depth: depth + 1, inImage: inImage) + "]" + linkTail()
        case 17:
            return "![" + inline(depth: depth + 1, inImage: true) + "]" + linkTail()
        case 18:
            return "`" + inline(depth: depth + 1, inImage: inImage).replacingBackticks() + "`"
        default:
            return pick(["*", "_"]) + "[" + inline(depth: depth + 1, inImage: inImage) + "](/u)" + pick(["*", "_"])
        }
    }

    private mutating func linkTail() -> String {
        pick(["(/url)", "(/url \"title\")", "(<a b> 'title')", "(/u(r)l (paren title))", "[ref]", "[]", "",
              "(/url 'bad)", "( /spaced )", "(\"only title\")", "(/ü?x=1)", "[undefined]", "(#x \"t &amp; \\\"q\\\"\")"])
    }

    // MARK: Chance

    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    private mutating func pick(_ options: [String]) -> String { options[int(0...(options.count - 1))] }
}

private extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }

    func replacingBackticks() -> String { String(map { $0 == "`" ? "'" : $0 }) }
}
