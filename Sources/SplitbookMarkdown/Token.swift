/// One node of the parsed document in document order, as markdown-it's token stream:
/// an opening tag (`nesting` 1), a closing tag (-1) or a self-contained node (0).
final class Token {
    enum Kind {
        case paragraphOpen, paragraphClose, headingOpen, headingClose, blockquoteOpen, blockquoteClose
        case bulletListOpen, bulletListClose, orderedListOpen, orderedListClose, listItemOpen, listItemClose
        case tableOpen, tableClose, theadOpen, theadClose, tbodyOpen, tbodyClose, trOpen, trClose
        case thOpen, thClose, tdOpen, tdClose
        case hr, codeBlock, fence, htmlBlock, inline
        case text, textSpecial, softbreak, hardbreak, codeInline, htmlInline, image
        case linkOpen, linkClose, emOpen, emClose, strongOpen, strongClose
    }

    var kind: Kind
    var tag: String
    var nesting: Int
    var attributes: [(name: String, value: [UInt8])] = []
    /// Text, code or raw HTML, or the source of an inline token.
    var content: [UInt8] = []
    /// A fence's info string.
    var info: [UInt8] = []
    /// An inline token's parsed content; an image's parsed description.
    var children: [Token] = []
    /// A paragraph tag of a tight list, not written.
    var hidden = false
    var isBlock = false
    var level = 0

    init(_ kind: Kind, _ tag: String, _ nesting: Int) {
        self.kind = kind
        self.tag = tag
        self.nesting = nesting
    }

    func setAttribute(_ name: String, _ value: [UInt8]) {
        if let index = attributes.firstIndex(where: { $0.name == name }) {
            attributes[index].value = value
        } else {
            attributes.append((name, value))
        }
    }
}

/// A link reference definition's destination and title (§4.7).
struct LinkReference {
    var destination: [UInt8]
    var title: [UInt8]
}
