/// Raw inline HTML (§6.6), passed through unchanged.
enum HTMLInlineRule {
    static func parse(_ state: InlineState, silent: Bool) -> Bool {
        let pos = state.pos
        let src = state.src
        guard src[pos] == UInt8(ascii: "<"), pos + 2 < state.posMax else { return false }
        let next = src[pos + 1]
        guard next == UInt8(ascii: "!") || next == UInt8(ascii: "?") || next == UInt8(ascii: "/") || next.isASCIILetter
        else { return false }
        // Give up at once where the construct's terminator never occurs again.
        let terminator: String
        if HTMLSyntax.hasPrefix(src, pos, state.posMax, "<!--") {
            terminator = HTMLSyntax.hasPrefix(src, pos, state.posMax, "<!-->") || HTMLSyntax.hasPrefix(src, pos, state.posMax, "<!--->") ? ">" : "-->"
        } else if HTMLSyntax.hasPrefix(src, pos, state.posMax, "<![CDATA[") {
            terminator = "]]>"
        } else if next == UInt8(ascii: "?") {
            terminator = "?>"
        } else {
            terminator = ">"
        }
        guard state.lastPosition(of: terminator) > pos,
              let end = HTMLSyntax.constructEnd(src, pos, state.posMax) else { return false }
        if !silent {
            let token = state.push(.htmlInline, "", 0)
            token.content = Array(src[pos..<end])
        }
        state.pos = end
        return true
    }
}
