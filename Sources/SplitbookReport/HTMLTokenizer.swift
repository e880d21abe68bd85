/// A piece of HTML as `HTMLTokenizer` reads it. Comments, doctypes,
/// processing instructions and CDATA sections are not tokens: they are dropped.
enum HTMLToken {
    /// Text as written in the source (character references not decoded).
    case text(String)
    /// A start tag; names are lowercased, attribute values decoded, the first of repeated attributes kept.
    case start(name: String, attributes: [HTMLAttribute], selfClosing: Bool)
    case end(name: String)
    /// The content of a raw text element (`script`, `style`, `textarea`, ...), up to its end tag.
    case rawText(String)
}

struct HTMLAttribute {
    var name: String
    var value: String
}

/// Splits HTML into tokens the way the HTML standard's tokenizer does for the
/// cases that matter to a sanitizer: tag names end only at whitespace, `/` or
/// `>` (so `<scr<script>` is one odd tag), a tag cut off by the end of input
/// is dropped, `<!-->` and `--!>` end comments, the content of raw text
/// elements is not markup, and a `<` that opens nothing is text.
struct HTMLTokenizer {
    /// Elements whose content the standard reads as text up to their end tag.
    static let rawTextElements: Set<String> = ["script", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
                                               "textarea", "title", "plaintext"]

    private let bytes: [UInt8]
    private var i = 0

    init(_ html: String) { bytes = Array(html.utf8) }

    /// Set after the start tag of a raw text element, whose content is read next.
    private var rawElement: String?

    /// The next token, or nil at the end of the input.
    mutating func next() -> HTMLToken? {
        if let name = rawElement {
            rawElement = nil
            let raw = takeRawText(until: name)
            if !raw.isEmpty { return .rawText(raw) }
        }
        while i < bytes.count {
            if bytes[i] != UInt8(ascii: "<") { return .text(takeText()) }
            let start = i
            if let token = markup() { return token }
            if i == start {  // a `<` that opens nothing: text
                i += 1
                return .text("<" + takeText())
            }
        }
        return nil
    }

    private mutating func takeText() -> String {
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
        return string(start..<i)
    }

    /// The content of a raw text element: up to `</name` followed by whitespace, `/` or `>` (any case), or the end.
    private mutating func takeRawText(until name: String) -> String {
        let start = i
        let closer = Array("</\(name)".utf8)
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<"), name != "plaintext", i + closer.count <= bytes.count,
               zip(bytes[i..<i + closer.count], closer).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                let after = byte(at: i + closer.count)
                if after == nil || isSpace(after!) || after == UInt8(ascii: "/") || after == UInt8(ascii: ">") { break }
            }
            i += 1
        }
        return string(start..<i)
    }

    /// At a `<`: a tag (returned), something dropped (nil, input consumed), or nothing (nil, input untouched).
    private mutating func markup() -> HTMLToken? {
        let next = byte(at: i + 1)
        if next == UInt8(ascii: "!") {
            if starts(with: "<!--", at: i) { skipComment() } else { skipPast(">") }
            return nil
        }
        if next == UInt8(ascii: "?") {
            skipPast(">")
            return nil
        }
        if next == UInt8(ascii: "/") {
            guard let first = byte(at: i + 2) else { return nil }
            if isLetter(first) { return endTag() }
            if first == UInt8(ascii: ">") { i += 3 } else { skipPast(">") }  // `</>` is nothing; `</1...>` a bogus comment
            return nil
        }
        if let next, isLetter(next) { return startTag() }
        return nil
    }

    private mutating func startTag() -> HTMLToken? {
        i += 1
        let name = tagName()
        guard let (attributes, selfClosing) = attributes() else {
            i = bytes.count  // cut off by the end of input: the standard drops it
            return nil
        }
        if Self.rawTextElements.contains(name) { rawElement = name }
        return .start(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    private mutating func endTag() -> HTMLToken? {
        i += 2
        let name = tagName()
        guard attributes() != nil else {
            i = bytes.count
            return nil
        }
        return .end(name: name)
    }

    private mutating func tagName() -> String {
        let start = i
        while let b = byte(at: i), !isSpace(b), b != UInt8(ascii: "/"), b != UInt8(ascii: ">") { i += 1 }
        return string(start..<i).lowercased()
    }

    /// Attributes up to and including the tag's `>`; nil when the input ends first.
    private mutating func attributes() -> ([HTMLAttribute], Bool)? {
        var list: [HTMLAttribute] = []
        var seen: Set<String> = []
        var selfClosing = false
        while true {
            while let b = byte(at: i), isSpace(b) { i += 1 }
            guard let b = byte(at: i) else { return nil }
            if b == UInt8(ascii: ">") {
                i += 1
                return (list, selfClosing)
            }
            if b == UInt8(ascii: "/") {
                i += 1
                selfClosing = byte(at: i) == UInt8(ascii: ">")
                continue
            }
            selfClosing = false
            // A name runs to whitespace, `/`, `>` or `=` (a leading `=` belongs to it).
            let start = i
            i += 1
            while let c = byte(at: i), !isSpace(c), c != UInt8(ascii: "/"), c != UInt8(ascii: ">"), c != UInt8(ascii: "=") { i += 1 }
            let name = string(start..<i).lowercased()
            var value = ""
            var j = i
            while let c = byte(at: j), isSpace(c) { j += 1 }
            if byte(at: j) == UInt8(ascii: "=") {
                i = j + 1
                while let c = byte(at: i), isSpace(c) { i += 1 }
                guard let raw = attributeValue() else { return nil }
                value = HTMLCharacterReferences.decode(raw)
            }
            if seen.insert(name).inserted { list.append(HTMLAttribute(name: name, value: value)) }
        }
    }

    private mutating func attributeValue() -> String? {
        guard let quote = byte(at: i) else { return nil }
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            let start = i + 1
            guard let end = bytes[start...].firstIndex(of: quote) else { return nil }
            i = end + 1
            return string(start..<end)
        }
        let start = i
        while let c = byte(at: i), !isSpace(c), c != UInt8(ascii: ">") { i += 1 }
        return string(start..<i)
    }

    /// After `<!--`: to `-->`, `--!>`, or the end of input; `<!-->` and `<!--->` are empty comments.
    private mutating func skipComment() {
        i += 4
        if byte(at: i) == UInt8(ascii: ">") { i += 1; return }
        if starts(with: "->", at: i) { i += 2; return }
        while i < bytes.count {
            if starts(with: "-->", at: i) { i += 3; return }
            if starts(with: "--!>", at: i) { i += 4; return }
            i += 1
        }
    }

    private mutating func skipPast(_ terminator: Character) {
        let t = terminator.asciiValue!
        while i < bytes.count, bytes[i] != t { i += 1 }
        i = min(i + 1, bytes.count)
    }

    private func byte(at index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func starts(with prefix: String, at index: Int) -> Bool {
        let p = Array(prefix.utf8)
        guard index + p.count <= bytes.count else { return false }
        return bytes[index..<index + p.count].elementsEqual(p)
    }

    private func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }
    private func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
}
