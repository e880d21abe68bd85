/// The dependency graph of a notebook's code cells.
///
/// Nodes are code cells, numbered in notebook order. An edge `u -> v` means
/// `v` depends on `u`: `v` lists `u` in `needs`, reads one of `u`'s outputs,
/// or uses an artifact `u` publishes.
public struct CellGraph: Sendable {
    /// Why one cell depends on another.
    public enum Reason: Hashable, Sendable {
        case needs
        case input(RelativePath)
        case artifact(ArtifactName)
        /// An online endpoint checks its parity rows, an output of `from`.
        case parity(RelativePath)
    }

    /// `to` depends on `from`.
    public struct Edge: Sendable {
        public let from: Int
        public let to: Int
        public let reason: Reason
        /// Where `to` states the dependency.
        public let range: SourceRange
    }

    /// Code cells in notebook order; a node's number is its index here.
    public let cells: [CodeCell]
    public let index: [CellID: Int]
    /// For each node, the edges into it (its direct dependencies), in declaration order.
    public let upstream: [[Edge]]
    /// For each node, the nodes that depend on it directly.
    public let downstream: [[Int]]
    /// Which cell declares each output path.
    public let producers: [RelativePath: Int]
    /// Which cell publishes each artifact.
    public let publishers: [ArtifactName: Int]

    /// Builds the graph. Unknown ids and duplicate outputs are skipped here
    /// (the validator reports them); the first cell with an id wins.
    public init(cells: [CodeCell]) {
        self.cells = cells
        var index: [CellID: Int] = [:]
        var producers: [RelativePath: Int] = [:]
        var publishers: [ArtifactName: Int] = [:]
        for (i, cell) in cells.enumerated() {
            if index[cell.id.value] == nil { index[cell.id.value] = i }
            for output in cell.outputs where producers[output.value] == nil { producers[output.value] = i }
            for publication in cell.publish where publishers[publication.artifact.value] == nil {
                publishers[publication.artifact.value] = i
            }
        }
        var upstream = [[Edge]](repeating: [], count: cells.count)
        var downstream = [[Int]](repeating: [], count: cells.count)
        for (i, cell) in cells.enumerated() {
            var seen = Set<Int>()
            func add(_ from: Int?, _ reason: Reason, _ range: SourceRange) {
                guard let from, from != i || reason == .needs else { return }
                upstream[i].append(Edge(from: from, to: i, reason: reason, range: range))
                if seen.insert(from).inserted { downstream[from].append(i) }
            }
            for need in cell.needs { add(index[need.value], .needs, need.range) }
            for input in cell.inputs { add(producers[input.value], .input(input.value), input.range) }
            for use in cell.uses { add(publishers[use.value.name], .artifact(use.value.name), use.range) }
            if let parity = cell.parity, case .output(let producer, let path) = parity.source(cellIndex: index, producers: producers) {
                add(producer, .parity(path), parity.rows.range)
            }
        }
        self.index = index
        self.upstream = upstream
        self.downstream = downstream
        self.producers = producers
        self.publishers = publishers
    }

    public func node(_ id: CellID) -> Int? { index[id] }

    /// A topological order that keeps notebook order among ready cells, and
    /// the nodes left over because they sit on or behind a cycle.
    public func topologicalOrder() -> (order: [Int], blocked: [Int]) {
        var pending = upstream.map { Set($0.map(\.from)).count }
        var ready = MinHeap()
        for (i, count) in pending.enumerated() where count == 0 { ready.push(i) }
        var order: [Int] = []
        order.reserveCapacity(cells.count)
        while let next = ready.pop() {
            order.append(next)
            for d in downstream[next] {
                pending[d] -= 1
                if pending[d] == 0 { ready.push(d) }
            }
        }
        let placed = Set(order)
        return (order, (0..<cells.count).filter { !placed.contains($0) })
    }

    /// Whether `node` is an online endpoint: an online cell that no other
    /// online cell needs (CONTRACT §5).
    public func isEndpoint(_ node: Int) -> Bool {
        cells[node].stage == .online && !downstream[node].contains { cells[$0].stage == .online }
    }

    /// The online endpoint whose chain `node` belongs to, when `node` is an
    /// online cell another online cell needs.
    public func endpoint(serving node: Int) -> Int? {
        guard cells[node].stage == .online else { return nil }
        var current = node
        while let next = downstream[current].first(where: { cells[$0].stage == .online }) { current = next }
        return current == node ? nil : current
    }

    /// The chain of online cells that answers requests to `endpoint`, head
    /// first and the endpoint last: each cell's response is the next one's
    /// request (an online cell needs at most one other online cell).
    public func chain(endingAt endpoint: Int) -> [Int] {
        var chain = [endpoint]
        while let up = upstream[chain[0]].first(where: { $0.reason == .needs && cells[$0.from].stage == .online }) {
            chain.insert(up.from, at: 0)
        }
        return chain
    }

    /// Every online endpoint in topological order.
    public var endpoints: [Int] { topologicalOrder().order.filter(isEndpoint) }

    /// Every cell `node` depends on, directly or not.
    public func ancestors(of node: Int) -> Set<Int> {
        reach(from: [node]) { upstream[$0].map(\.from) }
    }

    /// Every cell that depends on `node`, directly or not.
    public func descendants(of node: Int) -> Set<Int> {
        reach(from: [node]) { downstream[$0] }
    }

    private func reach(from start: [Int], _ next: (Int) -> [Int]) -> Set<Int> {
        var seen = Set<Int>()
        var stack = start
        while let n = stack.popLast() {
            for m in next(n) where seen.insert(m).inserted { stack.append(m) }
        }
        return seen
    }

    /// Dependency cycles among `nodes`, each as a closed path of edges
    /// `c0 needs c1 needs ... needs c0`. At most one cycle per set of tangled cells.
    public func cycles(among nodes: [Int]) -> [[Edge]] {
        let candidates = Set(nodes)
        var state = [UInt8](repeating: 0, count: cells.count)  // 0 new, 1 on stack, 2 done
        var reported = Set<Int>()
        var result: [[Edge]] = []
        for start in nodes where state[start] == 0 {
            // Iterative DFS along "depends on" edges; path holds the edge taken into each stacked node.
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            var path: [Edge] = []
            state[start] = 1
            while var top = stack.popLast() {
                let edges = upstream[top.node]
                if top.next < edges.count {
                    let edge = edges[top.next]
                    top.next += 1
                    stack.append(top)
                    let target = edge.from
                    guard candidates.contains(target) else { continue }
                    if state[target] == 0 {
                        state[target] = 1
                        path.append(edge)
                        stack.append((target, 0))
                    } else if state[target] == 1 {
                        // Back edge: the cycle runs from `target` along the path to here.
                        let start = path.firstIndex { $0.to == target }.map { $0 } ?? path.count
                        let loop = Array(path[start...]) + [edge]
                        let members = Set(loop.map(\.to))
                        if members.isDisjoint(with: reported) {
                            reported.formUnion(members)
                            result.append(loop)
                        }
                    }
                } else {
                    state[top.node] = 2
                    if !path.isEmpty, path.last!.from == top.node { path.removeLast() }
                }
            }
        }
        return result
    }
}

/// A binary min-heap of node numbers (Swift's standard library has none).
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ value: Int) {
        items.append(value)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent] > items[i] else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, items[l] < items[smallest] { smallest = l }
                if r < items.count, items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return first
    }
}
