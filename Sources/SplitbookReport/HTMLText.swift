import Foundation
import SplitbookEngine

/// Escaping for text placed in HTML or XML (element content and quoted attributes).
enum HTMLText {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

/// A delimited text table (CSV or TSV, RFC 4180 quoting), cut to `maxRows`.
struct DelimitedTable {
    var rows: [[String]]
    /// Rows left out after `maxRows`.
    var omitted: Int

    init(_ text: String, separator: Character, maxRows: Int = 200) {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = text.makeIterator()
        var pending: Character? = nil
        var total = 0
        func endRow() {
            row.append(field)
            field = ""
            if !(row.count == 1 && row[0].isEmpty) {
                total += 1
                if rows.count <= maxRows { rows.append(row) }
            }
            row = []
        }
        while let ch = pending ?? chars.next() {
            pending = nil
            if quoted {
                if ch == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(ch)
                }
            } else if ch == "\"" && field.isEmpty {
                quoted = true
            } else if ch == separator {
                row.append(field)
                field = ""
            } else if ch == "\n" || ch == "\r\n" {
                endRow()
            } else if ch != "\r" {
                field.append(ch)
            }
        }
        if !field.isEmpty || !row.isEmpty { endRow() }
        self.rows = rows
        self.omitted = max(0, total - rows.count)
    }

    /// The table as HTML, the first row as its header.
    func html(cssClass: String?) -> String {
        var out = cssClass.map { "<table class=\"\($0)\">" } ?? "<table>"
        for (n, row) in rows.enumerated() {
            let tag = n == 0 ? "th" : "td"
            out += "<tr>" + row.map { "<\(tag)>\(HTMLText.escape($0))</\(tag)>" }.joined() + "</tr>"
        }
        return out + "</table>"
    }
}
