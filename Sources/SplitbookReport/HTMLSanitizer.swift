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
    static func clean(_ html: String) -> String {
        var writer = Writer()
        var tokenizer = HTMLTokenizer(html)
        while let token = tokenizer.next() { writer.add(token) }
        return writer.finish()
    }

    private struct Writer {
        var out = ""
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
            var out = ""
            out.reserveCapacity(text.utf8.count)
            var rest = Substring(text)
            while let ch = rest.first {
                switch ch {
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\0": out += "\u{FFFD}"
                case "&": out += isReference(rest) ? "&" : "&amp;"
                default: out.append(ch)
                }
                rest = rest.dropFirst()
            }
            return out
        }

        /// Whether `text` starts with `&name;`, `&#123;` or `&#x7B;`.
        private static func isReference(_ text: Substring) -> Bool {
            let body = text.unicodeScalars.dropFirst().prefix(34)
            guard let semicolon = body.firstIndex(of: ";") else { return false }
            let inner = body[..<semicolon]
            func all(_ s: Substring.UnicodeScalarView.SubSequence, _ allowed: (Unicode.Scalar) -> Bool) -> Bool { !s.isEmpty && s.allSatisfy(allowed) }
            let digit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
            let hex: (Unicode.Scalar) -> Bool = { digit($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }
            if inner.first == "#" {
                let number = inner.dropFirst()
                if number.first == "x" || number.first == "X" { return all(number.dropFirst(), hex) }
                return all(number, digit)
            }
            return all(inner) { digit($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
        }
    }
}
