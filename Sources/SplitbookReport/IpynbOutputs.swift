import Foundation
import SplitbookEngine
import SplitbookSpec

/// The record half of the exported notebook: each code cell's metadata and recorded outputs.
extension IpynbReport {
    /// splitbook's view of a code cell: stage, language, status, timing, key, reasons, publications, metrics.
    static func metadata(_ code: RunDocument.CodeItem) -> JSONValue {
        var m: [String: JSONValue] = ["stage": .string(code.cell.stage.rawValue), "lang": .string(code.cell.language.description)]
        guard let r = code.result else { m["status"] = .string("not run"); return .object(m) }
        m["status"] = .string(r.status.rawValue)
        m["duration"] = .double(r.duration)
        if r.status == .cached { m["saved"] = .double(r.saved) }
        if let key = r.key { m["key"] = .string(key.hex) }
        if !r.reasons.isEmpty { m["reasons"] = .array(r.reasons.map { .string($0) }) }
        if !r.published.isEmpty { m["published"] = .object(r.published.mapValues { .int($0) }) }
        if !r.metrics.isEmpty { m["metrics"] = .object(r.metrics.mapValues { .double($0) }) }
        if r.earlyCutoff { m["earlyCutoff"] = .bool(true) }
        return .object(m)
    }

    /// What the cell showed in the run, as Jupyter outputs: its stdout and stderr, display files,
    /// metrics, samples, and the error of a failed cell.
    static func outputs(_ code: RunDocument.CodeItem) -> [JSONValue] {
        var out: [JSONValue] = []
        func stream(_ name: String, _ text: String) {
            if !text.isEmpty { out.append(.object(["output_type": .string("stream"), "name": .string(name), "text": .string(text)])) }
        }
        func display(_ data: [String: JSONValue]) {
            out.append(.object(["output_type": .string("display_data"), "data": .object(data), "metadata": .object([:])]))
        }
        stream("stdout", code.stdout)
        stream("stderr", code.stderr)
        for file in code.display {
            switch file.kind {
            case .image(let mime) where mime == "image/svg+xml":
                display([mime: .string(file.text), "text/plain": .string(file.name)])
            case .image(let mime):
                display([mime: .string(file.data.base64EncodedString()), "text/plain": .string(file.name)])
            case .table(let separator):
                let table = DelimitedTable(file.text, separator: separator)
                display(["text/html": .string(table.html(cssClass: nil)), "text/plain": .string(file.text)])
            case .markdown: display(["text/markdown": .string(file.text), "text/plain": .string(file.text)])
            case .html: display(["text/html": .string(file.text), "text/plain": .string(file.name)])
            case .json:
                if let value = JSONValue.parseJSON(file.data) {
                    display(["application/json": value, "text/plain": .string(value.prettyJSON())])
                } else {
                    display(["text/plain": .string(file.text)])
                }
            case .text: display(["text/plain": .string(file.text)])
            }
        }
        if let metrics = code.result?.metrics, !metrics.isEmpty {
            let text = metrics.keys.sorted().map { "\($0) = \(HTMLReport.number(metrics[$0]!))" }.joined(separator: "\n")
            display(["application/json": .object(metrics.mapValues { .double($0) }), "text/plain": .string("metrics:\n" + text)])
        }
        if let set = code.samples {
            let samples = JSONValue.array(set.samples.map { .object(["request": $0.request, "response": $0.response, "p50Ms": .double($0.p50)]) })
            display(["application/json": .object(["chain": .array(set.chain.map { .string($0) }), "samples": samples]),
                     "text/plain": .string("samples through \(set.chain.joined(separator: " -> ")): p50 \(HTMLReport.number(set.p50)) ms, "
                                           + "p95 \(HTMLReport.number(set.p95)) ms\n" + samples.prettyJSON())])
        }
        if let r = code.result, r.status == .failed {
            out.append(.object(["output_type": .string("error"), "ename": .string("CellFailed"),
                                "evalue": .string(r.reasons.joined(separator: "; ")), "traceback": .array([])]))
        }
        return out
    }
}
