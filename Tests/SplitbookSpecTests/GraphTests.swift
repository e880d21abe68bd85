import SplitbookSpec
import SplitbookTestSupport
import Testing

func notebook(_ yaml: String) -> (Notebook, CellGraph) {
    let check = NotebookCheck(source: SourceText(path: "g.yaml", text: yaml))
    return (check.notebook!, check.graph!)
}

func ids(_ graph: CellGraph, _ nodes: some Sequence<Int>) -> [String] {
    nodes.map { graph.cells[$0].id.value.rawValue }
}

@Suite("Cell graph")
struct GraphTests {
    static let diamond = """
        cells:
          - id: load
            outputs: [raw.csv]
            code: x
          - id: other
            code: x
          - id: left
            inputs: [raw.csv]
            outputs: [l.txt]
            code: x
          - id: right
            needs: [load]
            outputs: [r.txt]
            publish: {r: r.txt}
            code: x
          - id: join
            inputs: [l.txt, r.txt]
            code: x
          - id: serve
            stage: online
            uses: [r]
            sample: 1
            code: x
        """

    @Test func edgesComeFromNeedsInputsAndArtifacts() {
        let (_, graph) = notebook(Self.diamond)
        let join = graph.node("join")!
        #expect(ids(graph, graph.upstream[join].map(\.from)) == ["left", "right"])
        #expect(graph.upstream[join].map(\.reason) == [.input(RelativePath(normalized: "l.txt")), .input(RelativePath(normalized: "r.txt"))])
        #expect(graph.upstream[graph.node("right")!].map(\.reason) == [.needs])
        #expect(graph.upstream[graph.node("serve")!].map(\.reason) == [.artifact("r")])
    }

    @Test func orderIsTopologicalAndKeepsNotebookOrderAmongReadyCells() {
        let (_, graph) = notebook(Self.diamond)
        let (order, blocked) = graph.topologicalOrder()
        #expect(ids(graph, order) == ["load", "other", "left", "right", "join", "serve"])
        #expect(blocked.isEmpty)
    }

    @Test func orderPutsAnUpstreamDeclaredLaterFirst() {
        let (_, graph) = notebook("""
            cells:
              - id: b
                inputs: [a.txt]
                code: x
              - id: c
                code: x
              - id: a
                outputs: [a.txt]
                code: x
            """)
        #expect(ids(graph, graph.topologicalOrder().order) == ["c", "a", "b"])
    }

    @Test func ancestorsAndDescendants() {
        let (_, graph) = notebook(Self.diamond)
        #expect(Set(ids(graph, graph.ancestors(of: graph.node("join")!))) == ["load", "left", "right"])
        #expect(Set(ids(graph, graph.descendants(of: graph.node("load")!))) == ["left", "right", "join", "serve"])
        #expect(graph.ancestors(of: graph.node("other")!).isEmpty)
    }

    @Test func cycleNamesEveryHopAndLeavesTheRestOrdered() {
        let (_, graph) = notebook("""
            cells:
              - id: ok
                code: x
              - id: a
                needs: [c]
                code: x
              - id: b
                needs: [a]
                code: x
              - id: c
                needs: [b]
                code: x
              - id: after
                needs: [a]
                code: x
            """)
        let (order, blocked) = graph.topologicalOrder()
        #expect(ids(graph, order) == ["ok"])
        let cycles = graph.cycles(among: blocked)
        #expect(cycles.count == 1)
        #expect(cycles[0].map { "\(graph.cells[$0.to].id.value)->\(graph.cells[$0.from].id.value)" } == ["a->c", "c->b", "b->a"])
    }

    @Test func largeChainIsOrderedWithoutRecursion() {
        var yaml = "cells:\n"
        for i in 0..<20_000 { yaml += "  - id: c\(i)\n" + (i > 0 ? "    needs: [c\(i - 1)]\n" : "") + "    code: x\n" }
        let (_, graph) = notebook(yaml)
        #expect(graph.topologicalOrder().order == Array(0..<20_000))
        #expect(graph.ancestors(of: 19_999).count == 19_999)
    }
}

@Suite("Graph rendering")
struct GraphRenderingTests {
    @Test func textShowsBothHalvesAndTheRegistryBetween() {
        let (nb, graph) = notebook(GraphTests.diamond)
        let text = GraphRenderer(notebook: nb, graph: graph).render(.text)
        #expect(text == """
            g

            offline (batch job)
              load
              other
              left  <- load (raw.csv)
              right  <- load  publishes r
              join  <- left (l.txt), right (r.txt)

            registry
              r  published by right; used by serve

            online (service)
              serve  uses r

            """)
    }

    @Test func dotHasTwoClustersAndArtifactNodes() {
        let (nb, graph) = notebook(GraphTests.diamond)
        let dot = GraphRenderer(notebook: nb, graph: graph).render(.dot)
        #expect(dot.contains("subgraph cluster_offline {"))
        #expect(dot.contains("subgraph cluster_online {"))
        #expect(dot.contains("subgraph cluster_registry {"))
        #expect(dot.contains("c3 -> a0 [style=bold];"))
        #expect(dot.contains("a0 -> c5 [style=bold];"))
        #expect(dot.contains("c0 -> c2 [label=\"raw.csv\"];"))
        #expect(!dot.contains("markdown"))
    }

    @Test func mermaidHasSubgraphs() {
        let (nb, graph) = notebook(GraphTests.diamond)
        let mermaid = GraphRenderer(notebook: nb, graph: graph).render(.mermaid)
        #expect(mermaid.hasPrefix("flowchart LR\n  subgraph offline[\"offline (batch job)\"]\n"))
        #expect(mermaid.contains("    a0[(\"r\")]\n"))
        #expect(mermaid.contains("  c3 ==> a0\n  a0 ==> c5\n"))
    }

    @Test func endpointsAndTheirChains() {
        let (_, graph) = notebook("""
            cells:
              - id: build
                outputs: [m.txt]
                publish: {m: m.txt}
                code: x
              - id: features
                stage: online
                uses: [m]
                code: x
              - id: score
                stage: online
                needs: [features]
                code: x
              - id: explain
                stage: online
                needs: [score]
                sample: 1
                code: x
              - id: echo
                stage: online
                code: x
            """)
        #expect(Set(ids(graph, graph.endpoints)) == ["explain", "echo"])
        let explain = graph.node(CellID("explain"))!
        #expect(ids(graph, graph.chain(endingAt: explain)) == ["features", "score", "explain"])
        #expect(graph.endpoint(serving: graph.node(CellID("features"))!) == explain)
        #expect(graph.endpoint(serving: explain) == nil)
        #expect(graph.endpoint(serving: graph.node(CellID("build"))!) == nil, "offline cells serve no endpoint")
        #expect(!graph.isEndpoint(graph.node(CellID("build"))!))
        #expect(ids(graph, graph.chain(endingAt: graph.node(CellID("echo"))!)) == ["echo"])
    }
}
