import Foundation
import SplitbookEngine
import SplitbookSpec

/// `runs report`: runs side by side as one self-contained HTML page (no
/// script, no network reference): the table of `runs table`, and for every
/// (param, metric) pair a plot of the metric against the param, drawn here
/// as SVG, one mark per run linking to that run's report.
public struct ComparisonPage {
    public let table: RunTable
    public let title: String
    /// Each run's report page, relative to the comparison page (runs without one are not linked).
    public let reports: [String: String]

    public init(table: RunTable, title: String, reports: [String: String]) {
        self.table = table
        self.title = title
        self.reports = reports
    }

    public var html: String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLText.escape(title))</title>
        <style>
        body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430}
        .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:14px}th,td{padding:.3rem .6rem;border-bottom:1px solid #dde2ea;text-align:left;white-space:nowrap}
        td.num{text-align:right;font-variant-numeric:tabular-nums}td.best{font-weight:700;background:#e6f4ea}
        .plots{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-size:13px;color:#556}
        svg text{font:11px system-ui,sans-serif;fill:#445}
        </style></head><body>
        <h1>\(HTMLText.escape(title))</h1>
        <p>\(table.rows.count) run\(table.rows.count == 1 ? "" : "s"); the best value of each metric is highlighted.</p>
        <div class="scroll"><table><thead><tr><th>run</th><th>status</th>
        """
        out += (table.params + table.metrics).map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        let best = table.best
        for (index, row) in table.rows.enumerated() {
            let id = HTMLText.escape(row.runID)
            out += "<tr><td>" + (reports[row.runID].map { "<a href=\"\(HTMLText.escape($0))\">\(id)</a>" } ?? id) + "</td><td>\(HTMLText.escape(row.status))</td>"
            out += table.params.map { "<td>\(HTMLText.escape(Self.plain(row.params[$0])))</td>" }.joined()
            out += table.metrics.map { metric in
                let value = row.metrics[metric].map(Self.number) ?? ""
                return "<td class=\"num\(best[metric] == index ? " best" : "")\">\(value)</td>"
            }.joined() + "</tr>\n"
        }
        out += "</tbody></table></div>\n"
        if !table.params.isEmpty, !table.metrics.isEmpty {
            out += "<h2>Metrics against params</h2><div class=\"plots\">\n"
            for param in table.params {
                for metric in table.metrics { out += plot(param: param, metric: metric) }
            }
            out += "</div>\n"
        }
        return out + "</body></html>\n"
    }

    /// One scatter plot: the param on x (numbers on a linear scale, other values
    /// as evenly spaced categories), the metric on y, a mark per run that has both.
    func plot(param: String, metric: String) -> String {
        let points = table.rows.compactMap { row -> (row: RunTable.Row, x: String, y: Double)? in
            guard let x = row.params[param], let y = row.metrics[metric] else { return nil }
            return (row, x, y)
        }
        let (width, height, left, right, top, bottom) = (320.0, 210.0, 52.0, 12.0, 12.0, 36.0)
        let numeric = points.allSatisfy { Double($0.x) != nil }
        let categories = Array(Set(points.map(\.x))).sorted { numeric ? Double($0)! < Double($1)! : $0 < $1 }
        let xs = points.map { numeric ? Double($0.x)! : Double(categories.firstIndex(of: $0.x)!) }
        let (xMin, xMax) = Self.span(xs), (yMin, yMax) = Self.span(points.map(\.y))
        func sx(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * (width - left - right) }
        func sy(_ v: Double) -> Double { height - bottom - (v - yMin) / (yMax - yMin) * (height - top - bottom) }
        var svg = "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"\(HTMLText.escape(metric)) against \(HTMLText.escape(param))\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"#f7f9fc\" stroke=\"#c9d1dc\"/>"
        for value in [yMin, (yMin + yMax) / 2, yMax] {
            svg += "<text x=\"\(left - 4)\" y=\"\(Self.f(sy(value) + 4))\" text-anchor=\"end\">\(Self.number(value))</text>"
        }
        let ticks = numeric ? [xMin, (xMin + xMax) / 2, xMax].map { ($0, Self.number($0)) } : categories.enumerated().map { (Double($0.offset), Self.plain($0.element)) }
        for (value, label) in ticks {
            svg += "<text x=\"\(Self.f(sx(value)))\" y=\"\(Int(height - bottom + 14))\" text-anchor=\"middle\">\(HTMLText.escape(String(label.prefix(12))))</text>"
        }
        svg += "<text x=\"\(Self.f(left + (width - left - right) / 2))\" y=\"\(Int(height - 4))\" text-anchor=\"middle\">\(HTMLText.escape(param))</text>"
        for (point, x) in zip(points, xs) {
            let mark = "<circle class=\"run\" cx=\"\(Self.f(sx(x)))\" cy=\"\(Self.f(sy(point.y)))\" r=\"4.5\" fill=\"#2f6fd6\" fill-opacity=\"0.75\">"
                + "<title>\(HTMLText.escape(point.row.runID)): \(HTMLText.escape(param))=\(HTMLText.escape(Self.plain(point.x))), "
                + "\(HTMLText.escape(metric))=\(Self.number(point.y))</title></circle>"
            svg += reports[point.row.runID].map { "<a href=\"\(HTMLText.escape($0))\">\(mark)</a>" } ?? mark
        }
        return svg + "</svg><figcaption>\(HTMLText.escape(metric)) against \(HTMLText.escape(param))</figcaption></figure>\n"
    }

    /// A range to scale over, widened when every value is the same.
    private static func span(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        if low == high { return (low - 1, high + 1) }
        let pad = (high - low) * 0.06
        return (low - pad, high + pad)
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A metric as tables show it: whole numbers plainly, others to four significant digits.
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.4g", value)
    }

    /// A param's canonical JSON as a reader writes it: strings without quotes.
    public static func plain(_ canonical: String?) -> String {
        guard let canonical else { return "" }
        if case .string(let s)? = JSONValue.parseJSON(Data(canonical.utf8)) { return s }
        return canonical
    }
}
