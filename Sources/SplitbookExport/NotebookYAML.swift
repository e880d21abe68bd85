import SplitbookEngine
import SplitbookSpec

/// Writes a notebook, or one half of it, back out as YAML: the
/// `notebook.yaml` of an export. The output loads to the same cells (same
/// code, params and declarations, so the same step keys); comments and the
/// original formatting are not kept. Code and markdown become literal
/// blocks, every other value plain when that is unambiguous, else JSON
/// (which YAML 1.2 reads as is).
enum NotebookYAML {
    static func text(_ notebook: Notebook, cells: [Cell], title: String?, params: [Param]) -> String {
        var out = "splitbook: 1\n"
        if let title { out += "title: \(scalar(title))\n" }
        if let description = notebook.description { out += "description:" + block(description, indent: 2) }
        if !params.isEmpty {
            out += "params:\n"
            for p in params { out += "  \(scalar(p.name.value)): \(value(p.value))\n" }
        }
        if !notebook.env.isEmpty {
            out += "env:\n"
            for e in notebook.env { out += "  \(scalar(e.name.value)): \(scalar(e.value, forceString: true))\n" }
        }
        if let budget = notebook.latencyBudgetMs, cells.contains(where: { if case .code(let c) = $0 { c.stage == .online } else { false } }) {
            out += "latency_budget_ms: \(value(number(budget)))\n"
        }
        out += "cells:\n"
        for (n, cell) in cells.enumerated() {
            if n > 0 { out += "\n" }
            switch cell {
            case .markdown(let m): out += "  - markdown:" + block(m.text, indent: 6)
            case .code(let c): out += code(c)
            }
        }
        return out
    }

    private static func code(_ c: CodeCell) -> String {
        var lines = ["  - id: \(c.id.value)"]
        func add(_ key: String, _ text: String) { lines.append("    \(key): \(text)") }
        func list(_ items: [String]) -> String { "[" + items.map { scalar($0) }.joined(separator: ", ") + "]" }
        func map(_ pairs: [(String, String)]) -> String { "{" + pairs.map { "\(scalar($0.0)): \(scalar($0.1, forceString: true))" }.joined(separator: ", ") + "}" }
        if c.stage == .online { add("stage", "online") }
        add("lang", scalar(c.language.description))
        if let interpreter = c.interpreter { add("interpreter", list(interpreter)) }
        if !c.needs.isEmpty { add("needs", list(c.needs.map(\.value.rawValue))) }
        if !c.inputs.isEmpty { add("inputs", list(c.inputs.map(\.value.rawValue))) }
        if !c.outputs.isEmpty { add("outputs", list(c.outputs.map(\.value.rawValue))) }
        if let params = c.params { add("params", list(params.map(\.value))) }
        if !c.env.isEmpty { add("env", map(c.env.map { ($0.name.value, $0.value) })) }
        if !c.secrets.isEmpty { add("secrets", list(c.secrets.map(\.value))) }
        if !c.publish.isEmpty { add("publish", map(c.publish.map { ($0.artifact.value.rawValue, $0.path.value.rawValue) })) }
        if !c.uses.isEmpty { add("uses", list(c.uses.map(\.value.description))) }
        if let samples = c.samples {
            if samples.count == 1, !isSampleList(samples[0]) {
                add("sample", value(samples[0]))
            } else {
                add("sample", "{samples: " + value(.array(samples)) + "}")
            }
        }
        if let timeout = c.timeout { add("timeout", value(number(timeout))) }
        if !c.cache { add("cache", "false") }
        if let budget = c.latencyBudgetMs { add("latency_budget_ms", value(number(budget))) }
        var out = lines.joined(separator: "\n") + "\n"
        switch c.source {
        case .inline(let code): out += "    code:" + block(code, indent: 6)
        case .file(let path): out += "    file: \(scalar(path.value.rawValue))\n"
        }
        return out
    }

    /// A mapping whose only key is `samples` holding a list reads as a list of samples.
    private static func isSampleList(_ v: JSONValue) -> Bool {
        if case .object(let members) = v, members.count == 1, case .array? = members["samples"] { return true }
        return false
    }

    private static func number(_ d: Double) -> JSONValue { d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : .double(d) }

    /// A JSON value in flow style (JSON is YAML 1.2).
    private static func value(_ v: JSONValue) -> String {
        if case .string(let s) = v { return scalar(s, forceString: true) }
        return v.canonicalJSON
    }

    /// A string as a plain scalar when it reads back as the same string, else JSON-quoted.
    static func scalar(_ s: String, forceString: Bool = false) -> String {
        let safe = !s.isEmpty && s.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_./-@".unicodeScalars.contains($0)
        }
        let first = s.unicodeScalars.first
        let startsWell = first.map { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || $0 == "_" } ?? false
        let keyword = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(s.lowercased())
        if safe, startsWell, !keyword { return s }
        if safe, !forceString, Double(s) == nil, !keyword, first != "-", first != "." { return s }
        var out = ""
        JSONValue.writeString(s, to: &out)
        return out
    }

    /// ` |` followed by the text as a literal block at `indent` spaces, or a
    /// quoted scalar when a block cannot hold it exactly.
    private static func block(_ text: String, indent: Int) -> String {
        let printable = text.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }
        if text.isEmpty || !printable || text.hasPrefix("\n") { return " " + scalar(text, forceString: true) + "\n" }
        var body = text
        var chomp = ""
        if !body.hasSuffix("\n") {
            chomp = "-"
            body += "\n"
        } else if body.hasSuffix("\n\n") {
            chomp = "+"
        }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let leadingSpace = lines.first(where: { !$0.allSatisfy { $0 == " " } })?.first == " "
        // Lines holding only spaces before the first text line would change the detected indentation.
        let indicator = leadingSpace || lines.first.map({ !$0.isEmpty && $0.allSatisfy { $0 == " " } }) == true ? "2" : ""
        let pad = String(repeating: " ", count: indent)
        return " |\(indicator)\(chomp)\n" + lines.map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n") + "\n"
    }
}
