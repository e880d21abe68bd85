/// Paragraphs (§4.8), with their lazy continuation lines.
enum ParagraphRule {
    static func parse(_ state: BlockState, _ startLine: Int, _ endLine: Int, silent: Bool) -> Bool {
        var next = startLine + 1
        let endLine = state.lineMax
        let oldParent = state.parent
        state.parent = .paragraph
        while next < endLine, !state.isEmpty(next) {
            // Over-indented and lazy lines continue the paragraph without question.
            if state.sCount[next] - state.blkIndent > 3 || state.sCount[next] < 0 {
                next += 1
                continue
            }
            if BlockParser.terminates(BlockParser.paragraphTerminators, state, next, endLine) { break }
            next += 1
        }
        let content = Characters.trim(state.lines(startLine, next, indent: state.blkIndent, keepLastLF: false))
        state.line = next
        state.push(.paragraphOpen, "p", 1)
        let inline = state.push(.inline, "", 0)
        inline.content = content
        state.push(.paragraphClose, "p", -1)
        state.parent = oldParent
        return true
    }
}
