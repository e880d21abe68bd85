/// Makes HTML from a notebook (rendered markdown, `.md` and `.html` display
/// files) safe to place in a report: no script, nothing fetched when the
/// page opens, nothing that can reach outside its container.
///
/// It writes a new document rather than editing the old one: only elements
/// and attributes of `HTMLPolicy` are written, attribute values are decoded,
/// checked and written back quoted and escaped, text is escaped, and every
/// element written is closed in order. So a browser reads back exactly the
/// structure that was checked, whatever tricks the input played on parsers.
/// Images other than inline raster data become links to their source,
/// showing their alt text; every table is wrapped in a box that scrolls
/// sideways, so a wide table never widens the report.
enum HTMLSanitizer {
    /// Sanitised HTML, and the elements of `HTMLPolicy.noticed` it left out (sorted).
    struct Cleaned {
        var html: String
        var removed: [String]
    }

    static func clean(_ html: String) -> Cleaned {
        var writer = Writer()
        var tokenizer = HTMLTokenizer(html)
        while let token = tokenizer.next() { writer.add(token) }
        return Cleaned(html: writer.finish(), removed: writer.removed.sorted())
    }

    private struct Writer {
        var out = ""
        var removed: Set<String> = []
        /// Elements written and not yet closed, with the markup that closes each.
        var open: [(name: String, closer: String)] = []
        /// While inside a dropped element: its name and how deeply it nests in itself.
        var skipping: (name: String, depth: Int)?

        mutating func add(_ token: HTMLToken) {
            if let (name, depth) = skipping {
                switch token {
                case .start(name, _, false): skipping = (name, depth + 1)
                case .end(name): skipping = depth == 1 ? nil : (name, depth - 1)
                case .start(let tag, _, _) where HTMLPolicy.foreignElements.contains(name) && HTMLPolicy.leavesForeignContent.contains(tag):
                    skipping = nil  // as in a browser, this tag ends the SVG or MathML around it
                    add(token)
                default: break
                }
                return
            }
            switch token {
            case .text(let text): out += Self.escapeText(text)
            case .rawText: break  // only dropped elements hold raw text
            case .start(let name, let attributes, let selfClosing): start(name, attributes, selfClosing: selfClosing)
            case .end(let name): end(name)
            }
        }

        mutating func finish() -> String {
            while let element = open.popLast() { out += element.closer }
            return out
        }

        private mutating func start(_ name: String, _ attributes: [HTMLAttribute], selfClosing: Bool) {
            if HTMLPolicy.noticed.contains(name) { removed.insert(name) }
            if HTMLPolicy.droppedWithContent.contains(name) {
                if !(selfClosing && !HTMLTokenizer.rawTextElements.contains(name)) { skipping = (name, 1) }
                return
            }
            guard let allowed = HTMLPolicy.elements[name] else { return }
            if name == "img", !attributes.contains(where: { $0.name == "src" && HTMLPolicy.inlineImage($0.value) != nil }) {
                out += imageLink(attributes)
                return
            }
            closeImplied(by: name)
            var tag = "<" + name
            var written: Set<String> = []
            for attribute in attributes {
                guard allowed.contains(attribute.name) || HTMLPolicy.globalAttributes.contains(attribute.name) || attribute.name == "style",
                      let value = Self.value(of: attribute, in: name), written.insert(value.name).inserted else { continue }
                tag += " \(value.name)=\"\(HTMLText.escape(value.value))\""
            }
            tag += ">"
            if HTMLPolicy.voidElements.contains(name) {
                out += tag
            } else if name == "table" {
                out += "<div class=\"scroll\">" + tag
                open.append((name, "</table></div>"))
            } else {
                out += tag
                open.append((name, "</\(name)>"))
            }
        }

        /// Closes what a browser closes on its own before `name` starts (an open
        /// `p` before a block, a list item before the next), so the closing tags
        /// written later match the tree the browser builds.
        private mutating func closeImplied(by name: String) {
            let rule = HTMLPolicy.impliedEnds.first { $0.starts.contains(name) }
            guard let rule, let index = open.lastIndex(where: { rule.closes.contains($0.name) }),
                  !open[(index + 1)...].contains(where: { rule.within.contains($0.name) }) else { return }
            while open.count > index { out += open.removeLast().closer }
        }

        private mutating func end(_ name: String) {
            guard let index = open.lastIndex(where: { $0.name == name }) else { return }
            while open.count > index { out += open.removeLast().closer }
        }

        /// An image that may not be shown inline: a link to its source showing
        /// its alt text (only the text when the source is no link target, or
        /// when it already sits in a link).
        private func imageLink(_ attributes: [HTMLAttribute]) -> String {
            let source = attributes.first { $0.name == "src" }?.value ?? ""
            let alt = attributes.first { $0.name == "alt" }?.value ?? ""
            let label = HTMLText.escape(alt.isEmpty ? (source.isEmpty ? "image" : source) : alt)
            guard !open.contains(where: { $0.name == "a" }), !source.isEmpty, let target = HTMLPolicy.link(source) else { return label }
            return "<a href=\"\(HTMLText.escape(target))\">\(label)</a>"
        }

        /// The attribute as written, or nil when its value is not allowed
        /// (`style` survives only as a table cell's alignment).
        private static func value(of attribute: HTMLAttribute, in element: String) -> HTMLAttribute? {
            switch attribute.name {
            case "href": return HTMLPolicy.link(attribute.value).map { HTMLAttribute(name: "href", value: $0) }
            case "src": return HTMLPolicy.inlineImage(attribute.value).map { HTMLAttribute(name: "src", value: $0) }
            case "align": return HTMLPolicy.isAlignment(attribute.value) ? attribute : nil
            case "style":
                guard element == "td" || element == "th" else { return nil }
                return HTMLPolicy.alignment(fromStyle: attribute.value).map { HTMLAttribute(name: "align", value: $0) }
            default: return attribute
            }
        }

        /// Text with `<` and `>` escaped, and every `&` that does not begin a
        /// well-formed character reference (which a browser reads as text) too.
        static func escapeText(_ text: String) -> String {
            let bytes = Array(text.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 16)
            for (i, byte) in bytes.enumerated() {
                switch byte {
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "&") where !isReference(bytes, at: i): out.append(contentsOf: "&amp;".utf8)
                case 0: out.append(contentsOf: "\u{FFFD}".utf8)
                default: out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Whether the `&` at `start` begins `&name;`, `&#123;` or `&#x7B;`.
        private static func isReference(_ bytes: [UInt8], at start: Int) -> Bool {
            var i = start + 1
            let numeric = i < bytes.count && bytes[i] == UInt8(ascii: "#")
            if numeric { i += 1 }
            let hex = numeric && i < bytes.count && bytes[i] | 0x20 == UInt8(ascii: "x")
            if hex { i += 1 }
            func allowed(_ b: UInt8) -> Bool {
                let digit = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
                let letter = b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")
                if hex { return digit || (letter && b | 0x20 <= UInt8(ascii: "f")) }
                return numeric ? digit : digit || letter
            }
            let first = i
            while i < bytes.count, i - first < 32, allowed(bytes[i]) { i += 1 }
            return i > first && i < bytes.count && bytes[i] == UInt8(ascii: ";")
        }
    }
}
