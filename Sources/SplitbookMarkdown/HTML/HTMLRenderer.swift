/// Writes the token stream as HTML, in the layout of the CommonMark reference
/// renderers: one block tag per line, `<br />`, `<hr />`, `<img ... />`.
enum HTMLRenderer {
    static func render(_ tokens: [Token]) -> [UInt8] {
        var out: [UInt8] = []
        for index in tokens.indices {
            let token = tokens[index]
            if token.kind == .inline {
                renderInline(token.children, into: &out)
            } else {
                renderBlock(tokens, index, into: &out)
            }
        }
        return out
    }

    private static func renderBlock(_ tokens: [Token], _ index: Int, into out: inout [UInt8]) {
        let token = tokens[index]
        switch token.kind {
        case .codeBlock:
            append("<pre><code>", to: &out)
            escape(token.content, into: &out)
            append("</code></pre>\n", to: &out)
        case .fence:
            let info = Characters.trim(CharacterReference.unescape(token.info[...]))
            append("<pre><code", to: &out)
            if !info.isEmpty {
                let language = info.prefix { !$0.isASCIIWhitespace }
                append(" class=\"language-", to: &out)
                escape(language, into: &out)
                append("\"", to: &out)
            }
            append(">", to: &out)
            escape(token.content, into: &out)
            append("</code></pre>\n", to: &out)
        case .htmlBlock:
            out += token.content
        default:
            renderTag(tokens, index, into: &out)
        }
    }

    /// An element's opening or closing tag, with a line feed after block tags (except
    /// before their inline content or their own immediate closing tag).
    private static func renderTag(_ tokens: [Token], _ index: Int, into out: inout [UInt8]) {
        let token = tokens[index]
        if token.hidden { return }
        if token.isBlock, token.nesting != -1, index > 0, tokens[index - 1].hidden { out.append(0x0A) }
        append(token.nesting == -1 ? "</" : "<", to: &out)
        append(token.tag, to: &out)
        renderAttributes(token, into: &out)
        if token.nesting == 0 { append(" /", to: &out) }
        var needLineFeed = token.isBlock
        if token.isBlock, token.nesting == 1, index + 1 < tokens.count {
            let next = tokens[index + 1]
            if next.kind == .inline || next.hidden || (next.nesting == -1 && next.tag == token.tag) {
                needLineFeed = false
            }
        }
        append(needLineFeed ? ">\n" : ">", to: &out)
    }

    private static func renderInline(_ tokens: [Token], into out: inout [UInt8]) {
        for index in tokens.indices {
            let token = tokens[index]
            switch token.kind {
            case .text, .textSpecial:
                escape(token.content, into: &out)
            case .codeInline:
                append("<code>", to: &out)
                escape(token.content, into: &out)
                append("</code>", to: &out)
            case .htmlInline:
                out += token.content
            case .hardbreak:
                append("<br />\n", to: &out)
            case .softbreak:
                out.append(0x0A)
            case .image:
                var alt: [UInt8] = []
                plainText(token.children, into: &alt)
                token.setAttribute("alt", alt)
                renderTag(tokens, index, into: &out)
            default:
                renderTag(tokens, index, into: &out)
            }
        }
    }

    /// An image description as its `alt` text: the content without markup.
    private static func plainText(_ tokens: [Token], into out: inout [UInt8]) {
        for token in tokens {
            switch token.kind {
            case .text, .textSpecial, .codeInline, .htmlInline: out += token.content
            case .image: plainText(token.children, into: &out)
            case .softbreak, .hardbreak: out.append(0x0A)
            default: break
            }
        }
    }

    private static func renderAttributes(_ token: Token, into out: inout [UInt8]) {
        for (name, value) in token.attributes {
            append(" \(name)=\"", to: &out)
            escape(value, into: &out)
            out.append(UInt8(ascii: "\""))
        }
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    /// `&`, `<`, `>` and `"` as character references.
    static func escape<Bytes: Collection<UInt8>>(_ bytes: Bytes, into out: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;", to: &out)
            case UInt8(ascii: "<"): append("&lt;", to: &out)
            case UInt8(ascii: ">"): append("&gt;", to: &out)
            case UInt8(ascii: "\""): append("&quot;", to: &out)
            default: out.append(byte)
            }
        }
    }
}
