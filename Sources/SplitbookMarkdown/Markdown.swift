/// Markdown to HTML, conforming to CommonMark 0.31.2 plus GitHub's tables (as
/// markdown-it renders them). Raw HTML passes through unchanged, as the spec says:
/// sanitise the result before showing untrusted input.
///
/// ```swift
/// Markdown.html("# Title\n\nSome *emphasis*.")  // "<h1>Title</h1>\n<p>Some <em>emphasis</em>.</p>\n"
/// ```
public enum Markdown {
    /// The HTML for a Markdown document.
    public static func html(_ source: String) -> String {
        let blocks = BlockState(normalizedSource(source))
        BlockParser.tokenize(blocks, 0, blocks.lineMax)
        for token in blocks.tokens where token.kind == .inline {
            token.children = InlineParser.parse(token.content, references: blocks.references)
        }
        return String(decoding: HTMLRenderer.render(blocks.tokens), as: UTF8.self)
    }

    /// The source's UTF-8 with every line ending as `\n` and NUL as U+FFFD (§2.3).
    private static func normalizedSource(_ source: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.utf8.count)
        var previousWasCR = false
        for byte in source.utf8 {
            switch byte {
            case 0x0D:
                bytes.append(0x0A)
                previousWasCR = true
                continue
            case 0x0A where previousWasCR:
                break
            case 0x00:
                bytes += [0xEF, 0xBF, 0xBD]
            default:
                bytes.append(byte)
            }
            previousWasCR = false
        }
        return bytes
    }
}
