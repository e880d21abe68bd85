/// What HTML may reach a report: an allowlist of elements, their attributes
/// and URL schemes. Nothing on it runs script, fetches anything when the
/// page opens, or reads as raw text; everything else is dropped.
enum HTMLPolicy {
    /// Attributes every allowed element may carry.
    static let globalAttributes: Set<String> = ["title", "lang", "dir"]

    /// Allowed elements and their own attributes.
    static let elements: [String: Set<String>] = {
        var table: [String: Set<String>] = [
            "a": ["href"], "img": ["src", "alt", "width", "height"], "code": ["class"],
            "ol": ["start", "reversed", "type"], "li": ["value"],
            "th": ["align", "colspan", "rowspan", "scope"], "td": ["align", "colspan", "rowspan"],
            "col": ["span"], "colgroup": ["span"], "details": ["open"], "time": ["datetime"],
        ]
        let plain = """
            abbr article aside b bdi bdo blockquote br caption cite dd del dfn div dl dt em figcaption figure footer
            h1 h2 h3 h4 h5 h6 header hr i ins kbd mark p pre q rp rt ruby s samp section small span strong sub summary sup
            table tbody tfoot thead tr u ul var wbr
            """
        for name in plain.split(whereSeparator: \.isWhitespace) { table[String(name), default: []] = [] }
        return table
    }()

    /// Elements without content or end tag.
    static let voidElements: Set<String> = ["br", "col", "hr", "img", "wbr"]

    /// Dropped together with everything inside them: raw text elements
    /// (script, style, ...), and SVG and MathML, whose foreign content may script.
    static let droppedWithContent: Set<String> = HTMLTokenizer.rawTextElements.union(foreignElements).union(["template"])

    static let foreignElements: Set<String> = ["svg", "math"]

    /// Dropped elements a reader would miss, worth a note under what remains.
    static let noticed: Set<String> = ["audio", "button", "canvas", "embed", "form", "iframe", "input", "math", "object",
                                       "script", "select", "style", "svg", "textarea", "video"]

    /// HTML start tags that end SVG or MathML content left open (the HTML standard's list).
    static let leavesForeignContent: Set<String> = Set("""
        b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu meta
        nobr ol p pre ruby s small span strike strong sub sup table tt u ul var
        """.split(whereSeparator: \.isWhitespace).map(String.init))

    /// Elements a browser closes when another starts: an open element of
    /// `closes` ends when one of `starts` begins, unless one of `within` lies
    /// between (a link inside a link, a paragraph before a block, ...).
    static let impliedEnds: [(starts: Set<String>, closes: Set<String>, within: Set<String>)] = [
        (["a"], ["a"], []),
        (["li"], ["li"], ["ul", "ol"]),
        (["dt", "dd"], ["dt", "dd"], ["dl"]),
        (["tr"], ["tr"], ["table"]),
        (["td", "th"], ["td", "th"], ["tr", "table"]),
        (Set("""
            address article aside blockquote details div dl figcaption figure footer h1 h2 h3 h4 h5 h6 header hr
            ol p pre section summary table ul
            """.split(whereSeparator: \.isWhitespace).map(String.init)), ["p"], ["table", "td", "th", "caption"]),
    ]

    /// A link target a reader may follow: `http:`, `https:`, `mailto:`, or
    /// relative (which includes `#fragment`); nil for any other scheme. The
    /// value is returned as a browser reads it: C0 controls and spaces
    /// trimmed from both ends, tabs and newlines removed.
    static func link(_ value: String) -> String? {
        let url = browserReading(value)
        guard let scheme = scheme(of: url) else { return url }
        return ["http", "https", "mailto"].contains(scheme) ? url : nil
    }

    /// An image source the report may show inline: a data URL of a raster image.
    static func inlineImage(_ value: String) -> String? {
        let url = browserReading(value)
        let lower = url.lowercased()
        let allowed = ["png", "jpeg", "gif", "webp"].contains { type in
            let prefix = "data:image/\(type)"
            return lower.hasPrefix(prefix + ";") || lower.hasPrefix(prefix + ",")
        }
        return allowed ? url : nil
    }

    /// An alignment a table cell's `style` asks for (`text-align: right`, what
    /// Markdown table renderers write), as an `align` value; styles are otherwise dropped.
    static func alignment(fromStyle style: String) -> String? {
        let compact = style.lowercased().filter { !$0.isWhitespace && $0 != ";" }
        guard compact.hasPrefix("text-align:") else { return nil }
        let value = String(compact.dropFirst("text-align:".count))
        return ["left", "right", "center"].contains(value) ? value : nil
    }

    static func isAlignment(_ value: String) -> Bool { ["left", "right", "center"].contains(value.lowercased()) }

    private static func browserReading(_ value: String) -> String {
        let trimmed = value.unicodeScalars.drop { $0.value <= 0x20 }.reversed().drop { $0.value <= 0x20 }.reversed()
        return String(String.UnicodeScalarView(trimmed.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }))
    }

    /// The lowercased scheme of `url`, or nil when it has none (a relative URL):
    /// an ASCII letter, then letters, digits, `+`, `-` or `.`, then `:`.
    private static func scheme(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let candidate = url[..<colon]
        guard let first = candidate.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic,
              candidate.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) })
        else { return nil }
        return candidate.lowercased()
    }
}
