/// Draws a notebook's cell graph as text, Graphviz DOT or Mermaid: offline
/// and online cells in two groups, with the registry artifacts between them.
/// Markdown cells are left out.
public struct GraphRenderer: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text, dot, mermaid
    }

    public let notebook: Notebook
    public let graph: CellGraph

    public init(notebook: Notebook, graph: CellGraph) {
        self.notebook = notebook
        self.graph = graph
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .text: text()
        case .dot: dot()
        case .mermaid: mermaid()
        }
    }

    /// Every artifact in play, sorted: published in the notebook or only used.
    private var artifacts: [ArtifactName] {
        var names = Set(graph.publishers.keys)
        for cell in graph.cells { for use in cell.uses { names.insert(use.value.name) } }
        return names.sorted()
    }

    private var order: [Int] {
        let (order, blocked) = graph.topologicalOrder()
        return order + blocked
    }

    private func cells(_ stage: Stage) -> [Int] { order.filter { graph.cells[$0].stage == stage } }

    private func users(of artifact: ArtifactName) -> [Int] {
        order.filter { graph.cells[$0].uses.contains { $0.value.name == artifact } }
    }

    /// Cell-to-cell edges; dependencies through an artifact are drawn via the registry instead.
    private var cellEdges: [(from: Int, to: Int, label: String)] {
        var edges: [(Int, Int, String)] = []
        for to in order {
            var labels: [Int: [String]] = [:]
            var sources: [Int] = []
            for edge in graph.upstream[to] {
                let label: String
                switch edge.reason {
                case .needs: label = ""
                case .input(let path): label = path.rawValue
                case .parity(let path): label = "parity " + path.rawValue
                case .artifact: continue
                }
                if labels[edge.from] == nil { sources.append(edge.from) }
                labels[edge.from, default: []].append(label)
            }
            for from in sources {
                edges.append((from, to, labels[from]!.filter { !$0.isEmpty }.joined(separator: ", ")))
            }
        }
        return edges
    }

    // MARK: Text

    private func text() -> String {
        var out = "\(notebook.title ?? notebook.name)\n"
        var edgesInto: [Int: [(from: Int, to: Int, label: String)]] = [:]
        for edge in cellEdges { edgesInto[edge.to, default: []].append(edge) }
        for (stage, heading) in [(Stage.offline, "offline (batch job)"), (.online, "online (service)")] {
            if stage == .online, !artifacts.isEmpty {
                out += "\nregistry\n"
                for artifact in artifacts {
                    let publisher = graph.publishers[artifact].map { "published by \(graph.cells[$0].id.value)" } ?? "from the registry"
                    let used = users(of: artifact).map { graph.cells[$0].id.value.rawValue }
                    out += "  \(artifact)  \(publisher)" + (used.isEmpty ? "" : "; used by " + used.joined(separator: ", ")) + "\n"
                }
            }
            let members = cells(stage)
            guard !members.isEmpty else { continue }
            out += "\n\(heading)\n"
            for i in members {
                let cell = graph.cells[i]
                var line = "  \(cell.id.value)"
                let upstream = (edgesInto[i] ?? []).map { edge in
                    graph.cells[edge.from].id.value.rawValue + (edge.label.isEmpty ? "" : " (\(edge.label))")
                }
                if !upstream.isEmpty { line += "  <- " + upstream.joined(separator: ", ") }
                if !cell.uses.isEmpty { line += "  uses " + cell.uses.map(\.value.description).joined(separator: ", ") }
                if !cell.publish.isEmpty { line += "  publishes " + cell.publish.map(\.artifact.value.rawValue).joined(separator: ", ") }
                out += line + "\n"
            }
        }
        return out
    }

    // MARK: DOT

    private func dot() -> String {
        func q(_ s: String) -> String {
            var out = ""
            JSONValue.writeString(s, to: &out)
            return out
        }
        var out = "digraph \(q(notebook.name)) {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
        for (stage, label) in [(Stage.offline, "offline (batch job)"), (.online, "online (service)")] {
            let members = cells(stage)
            guard !members.isEmpty else { continue }
            out += "  subgraph cluster_\(stage.rawValue) {\n    label=\(q(label));\n"
            for i in members { out += "    c\(i) [label=\(q(graph.cells[i].id.value.rawValue))];\n" }
            out += "  }\n"
            if stage == .offline, !artifacts.isEmpty {
                out += "  subgraph cluster_registry {\n    label=\"registry\";\n    node [shape=cylinder, style=solid];\n"
                for (n, artifact) in artifacts.enumerated() { out += "    a\(n) [label=\(q(artifact.rawValue))];\n" }
                out += "  }\n"
            }
        }
        for edge in cellEdges {
            out += "  c\(edge.from) -> c\(edge.to)" + (edge.label.isEmpty ? "" : " [label=\(q(edge.label))]") + ";\n"
        }
        for (n, artifact) in artifacts.enumerated() {
            if let publisher = graph.publishers[artifact] { out += "  c\(publisher) -> a\(n) [style=bold];\n" }
            for user in users(of: artifact) { out += "  a\(n) -> c\(user) [style=bold];\n" }
        }
        return out + "}\n"
    }

    // MARK: Mermaid

    private func mermaid() -> String {
        func label(_ s: String) -> String { "\"" + s.replacingAll("\"", with: "#quot;") + "\"" }
        var out = "flowchart LR\n"
        for (stage, title) in [(Stage.offline, "offline (batch job)"), (.online, "online (service)")] {
            let members = cells(stage)
            guard !members.isEmpty else { continue }
            out += "  subgraph \(stage.rawValue)[\(label(title))]\n"
            for i in members { out += "    c\(i)[\(label(graph.cells[i].id.value.rawValue))]\n" }
            out += "  end\n"
            if stage == .offline, !artifacts.isEmpty {
                out += "  subgraph registry[\"registry\"]\n"
                for (n, artifact) in artifacts.enumerated() { out += "    a\(n)[(\(label(artifact.rawValue)))]\n" }
                out += "  end\n"
            }
        }
        for edge in cellEdges {
            out += "  c\(edge.from) -->" + (edge.label.isEmpty ? "" : "|\(label(edge.label))|") + " c\(edge.to)\n"
        }
        for (n, artifact) in artifacts.enumerated() {
            if let publisher = graph.publishers[artifact] { out += "  c\(publisher) ==> a\(n)\n" }
            for user in users(of: artifact) { out += "  a\(n) ==> c\(user)\n" }
        }
        return out
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
