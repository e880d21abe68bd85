/// Splits the source into blocks (CommonMark §4–5 and GitHub tables): each rule tries
/// to start its block at a line and consumes the lines it owns, in markdown-it's order.
enum BlockParser {
    enum Rule {
        case table, code, fence, blockquote, hr, list, reference, htmlBlock, heading, lheading, paragraph
    }

    static let rules: [Rule] = [.table, .code, .fence, .blockquote, .hr, .list, .reference, .htmlBlock,
                                .heading, .lheading, .paragraph]
    /// The rules that may interrupt a paragraph (or a definition's continuation lines).
    static let paragraphTerminators: [Rule] = [.table, .fence, .blockquote, .hr, .list, .htmlBlock, .heading]
    /// The rules that end a block quote's lazy continuation (and a table's rows).
    static let blockquoteTerminators: [Rule] = [.fence, .blockquote, .hr, .list, .htmlBlock, .heading]
    /// The rules that end a list between its items.
    static let listTerminators: [Rule] = [.fence, .blockquote, .hr]

    /// Containers nested deeper than this are read as paragraphs, which keeps the
    /// recursion (and the stack) bounded on pathological input.
    static let maxNesting = 48

    static func run(_ rule: Rule, _ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        switch rule {
        case .table: return TableRule.parse(state, startLine, endLine, silent: silent)
        case .code: return CodeRules.indented(state, startLine, endLine, silent: silent)
        case .fence: return CodeRules.fence(state, startLine, endLine, silent: silent)
        case .blockquote: return BlockquoteRule.parse(state, startLine, endLine, silent: silent)
        case .hr: return HeadingRules.thematicBreak(state, startLine, endLine, silent: silent)
        case .list: return ListRule.parse(state, startLine, endLine, silent: silent)
        case .reference: return ReferenceRule.parse(state, startLine, endLine, silent: silent)
        case .htmlBlock: return HTMLBlockRule.parse(state, startLine, endLine, silent: silent)
        case .heading: return HeadingRules.atx(state, startLine, endLine, silent: silent)
        case .lheading: return HeadingRules.setext(state, startLine, endLine, silent: silent)
        case .paragraph: return ParagraphRule.parse(state, startLine, endLine, silent: silent)
        }
    }

    /// Whether one of `rules` would start a block at `line` (ending the current one).
    static func terminates(_ rules: [Rule], _ state: BlockState, _ line: Int, _ endLine: Int) -> Bool {
        rules.contains { run($0, state, line, endLine, silent: true) }
    }

    /// Parses lines `startLine..<endLine` into `state.tokens`.
    static func tokenize(_ state: BlockState, _ startLine: Int, _ endLine: Int) {
        var line = startLine
        var hasEmptyLines = false
        while line < endLine {
            line = state.skipEmptyLines(line)
            state.line = line
            if line >= endLine || state.sCount[line] < state.blkIndent { break }
            let candidates = state.level >= maxNesting ? [.paragraph] : rules
            for rule in candidates where run(rule, state, line, endLine, silent: false) { break }
            // A blank line before this block (not after the last) makes the list loose.
            state.tight = !hasEmptyLines
            line = state.line
            if line - 1 < endLine, line > 0, state.isEmpty(line - 1) { hasEmptyLines = true }
            if line < endLine, state.isEmpty(line) {
                hasEmptyLines = true
                line += 1
                state.line = line
            }
        }
    }
}
