import SplitbookEngine
import SplitbookSpec

/// The split as a picture (inline SVG, no scripts, no external references):
/// the offline cells in the top lane, the registry artifacts in the middle,
/// the online cells in the bottom lane. Offline cells are placed in columns
/// by dependency depth; each artifact sits under the cell that publishes it;
/// each online cell sits under the artifacts it uses. Boxes are coloured by
/// the cell's status in the run.
struct GraphPicture {
    let graph: CellGraph
    /// Cell id -> status in the run (absent: not run).
    let statuses: [String: RunReport.Status]
    /// Artifact -> version the run published (shown under its name).
    let versions: [String: Int]

    static let boxWidth = 150.0, boxHeight = 38.0, columnStep = 185.0, rowStep = 52.0
    static let laneLabel = 120.0, lanePad = 22.0

    private struct Box {
        var x: Double
        var y: Double
        var label: String
        var detail: String
        var cssClass: String
        var title: String
    }

    var svg: String {
        let offline = graph.topologicalOrder().order.filter { graph.cells[$0].stage == .offline }
        let online = graph.topologicalOrder().order.filter { graph.cells[$0].stage == .online }
        let offlineColumns = columns(offline)
        let onlineColumns = columns(online)

        // Artifacts: published ones under their publisher, others under their first user.
        var artifacts: [String] = []
        for node in offline { for p in graph.cells[node].publish where !artifacts.contains(p.artifact.value.rawValue) { artifacts.append(p.artifact.value.rawValue) } }
        for node in offline + online { for u in graph.cells[node].uses where !artifacts.contains(u.value.name.rawValue) { artifacts.append(u.value.name.rawValue) } }

        var boxes: [String: Box] = [:]
        let x0 = Self.laneLabel + Self.lanePad
        let offlineRows = max(1, rowsNeeded(offlineColumns))
        let offlineTop = Self.lanePad
        for (node, (column, row)) in offlineColumns {
            boxes["c:" + id(node)] = cellBox(node, x: x0 + Double(column) * Self.columnStep, y: offlineTop + Double(row) * Self.rowStep)
        }
        let offlineHeight = Double(offlineRows) * Self.rowStep + Self.lanePad
        let registryTop = offlineHeight + Self.lanePad
        var taken: [Double] = []
        for name in artifacts {
            var x: Double
            if let publisher = graph.publishers[ArtifactName(name)], let box = boxes["c:" + id(publisher)] {
                x = box.x
            } else {
                x = x0
            }
            while taken.contains(where: { abs($0 - x) < Self.boxWidth + 10 }) { x += Self.boxWidth + 20 }
            taken.append(x)
            let version = versions[name].map { "version \($0)" } ?? "registry artifact"
            boxes["a:" + name] = Box(x: x, y: registryTop, label: name, detail: version, cssClass: "artifact",
                                     title: "\(name): \(version). The only thing the two halves share.")
        }
        let onlineTop = registryTop + Self.rowStep + Self.lanePad * 2
        var onlineX: [Int: Double] = [:]
        for node in online {
            let cell = graph.cells[node]
            var x = cell.uses.compactMap { boxes["a:" + $0.value.name.rawValue]?.x }.max() ?? x0
            for edge in graph.upstream[node] where graph.cells[edge.from].stage == .online {
                x = max(x, (onlineX[edge.from] ?? x0) + Self.columnStep)
            }
            onlineX[node] = x
            let row = Double(onlineColumns[node]?.row ?? 0)
            boxes["c:" + id(node)] = cellBox(node, x: x, y: onlineTop + row * Self.rowStep)
        }
        let onlineRows = max(1, rowsNeeded(onlineColumns))
        let height = onlineTop + Double(onlineRows) * Self.rowStep + Self.lanePad
        let width = (boxes.values.map(\.x).max() ?? x0) + Self.boxWidth + Self.lanePad

        var edges: [String] = []
        func edge(_ from: String, _ to: String, _ css: String) {
            guard let a = boxes[from], let b = boxes[to] else { return }
            if abs(a.y - b.y) < 1 || b.x > a.x + Self.boxWidth {
                let (sx, sy, ex, ey) = (a.x + Self.boxWidth, a.y + Self.boxHeight / 2, b.x, b.y + Self.boxHeight / 2)
                let mid = (sx + ex) / 2
                edges.append("<path class=\"\(css)\" d=\"M\(f(sx)),\(f(sy)) C\(f(mid)),\(f(sy)) \(f(mid)),\(f(ey)) \(f(ex - 2)),\(f(ey))\"/>")
            } else {
                let (sx, sy, ex, ey) = (a.x + Self.boxWidth / 2, a.y + Self.boxHeight, b.x + Self.boxWidth / 2, b.y)
                let mid = (sy + ey) / 2
                edges.append("<path class=\"\(css)\" d=\"M\(f(sx)),\(f(sy)) C\(f(sx)),\(f(mid)) \(f(ex)),\(f(mid)) \(f(ex)),\(f(ey - 2))\"/>")
            }
        }
        for node in offline + online {
            var seen = Set<Int>()
            for e in graph.upstream[node] {
                if case .artifact = e.reason { continue }  // drawn through the registry lane
                if seen.insert(e.from).inserted { edge("c:" + id(e.from), "c:" + id(node), "flow") }
            }
            for p in graph.cells[node].publish { edge("c:" + id(node), "a:" + p.artifact.value.rawValue, "publish") }
            for u in graph.cells[node].uses { edge("a:" + u.value.name.rawValue, "c:" + id(node), "uses") }
        }

        // Up to about eight columns the picture shrinks to the page; wider ones scroll at full size.
        let fit = width <= 1600 ? " fit" : ""
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"split\(fit)\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"The notebook's cells: offline, registry, online\">\n"
        out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>\n"
        func lane(_ y: Double, _ h: Double, _ css: String, _ title: String, _ subtitle: String) {
            out += "<rect class=\"lane \(css)\" x=\"0\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(h))\" rx=\"8\"/>"
            out += "<text class=\"lane-title\" x=\"12\" y=\"\(f(y + 22))\">\(HTMLText.escape(title))</text>"
            out += "<text class=\"lane-subtitle\" x=\"12\" y=\"\(f(y + 38))\">\(HTMLText.escape(subtitle))</text>\n"
        }
        lane(0, offlineHeight, "offline", "offline", "batch job")
        lane(registryTop - Self.lanePad / 2, Self.rowStep + Self.lanePad, "registry", "registry", "shared storage")
        lane(onlineTop - Self.lanePad, height - onlineTop + Self.lanePad, "online", "online", "service")
        if online.isEmpty {
            out += "<text class=\"lane-subtitle\" x=\"\(f(x0))\" y=\"\(f(onlineTop + Self.boxHeight / 2 + 4))\">no online cells: everything here is batch work</text>\n"
        }
        if artifacts.isEmpty {
            out += "<text class=\"lane-subtitle\" x=\"\(f(x0))\" y=\"\(f(registryTop + Self.boxHeight / 2 + 4))\">nothing published</text>\n"
        }
        for e in edges { out += e + "\n" }
        for key in boxes.keys.sorted() {
            let b = boxes[key]!
            out += "<g class=\"node \(b.cssClass)\"><title>\(HTMLText.escape(b.title))</title>"
            out += "<rect x=\"\(f(b.x))\" y=\"\(f(b.y))\" width=\"\(f(Self.boxWidth))\" height=\"\(f(Self.boxHeight))\" rx=\"6\"/>"
            out += "<text class=\"label\" x=\"\(f(b.x + 10))\" y=\"\(f(b.y + 16))\">\(HTMLText.escape(clip(b.label)))</text>"
            out += "<text class=\"detail\" x=\"\(f(b.x + 10))\" y=\"\(f(b.y + 31))\">\(HTMLText.escape(b.detail))</text></g>\n"
        }
        out += "</svg>"
        return out
    }

    private func id(_ node: Int) -> String { graph.cells[node].id.value.rawValue }

    private func cellBox(_ node: Int, x: Double, y: Double) -> Box {
        let cell = graph.cells[node]
        let status = statuses[id(node)]
        let detail = "\(cell.language) · \(status?.rawValue ?? "not run")"
        return Box(x: x, y: y, label: id(node), detail: detail, cssClass: "cell \(cell.stage.rawValue) \(status?.rawValue ?? "none")",
                   title: "\(id(node)) (\(cell.stage.rawValue), \(cell.language)): \(status?.rawValue ?? "not run")")
    }

    /// Column = longest path from a root within `nodes`; row = order within the column.
    private func columns(_ nodes: [Int]) -> [Int: (column: Int, row: Int)] {
        let members = Set(nodes)
        var depth: [Int: Int] = [:]
        for node in nodes {
            depth[node] = graph.upstream[node].filter { members.contains($0.from) }.map { (depth[$0.from] ?? 0) + 1 }.max() ?? 0
        }
        var rows: [Int: Int] = [:]
        var placed: [Int: (Int, Int)] = [:]
        for node in nodes {
            let column = depth[node]!
            placed[node] = (column, rows[column, default: 0])
            rows[column, default: 0] += 1
        }
        return placed.mapValues { (column: $0.0, row: $0.1) }
    }

    private func rowsNeeded(_ placed: [Int: (column: Int, row: Int)]) -> Int { (placed.values.map(\.row).max() ?? -1) + 1 }

    private func clip(_ s: String) -> String { s.count > 19 ? String(s.prefix(18)) + "…" : s }

    private func f(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
}
