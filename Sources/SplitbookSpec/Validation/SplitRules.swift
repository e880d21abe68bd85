/// The static rules of the offline/online boundary (CONTRACT §6), for one cell.
enum SplitRules {
    static func check(cell index: Int, in graph: CellGraph) -> [Diagnostic] {
        let cell = graph.cells[index]
        let id = cell.id.value
        var out: [Diagnostic] = []
        switch cell.stage {
        case .online:
            for publication in cell.publish {
                out.append(.onlinePublishes(cell: id, artifact: publication.artifact.value, at: publication.artifact.range))
            }
            if let first = cell.outputs.first { out.append(.onlineHasOutputs(cell: id, at: first.range)) }
            var onlineUpstream: [CellID] = []
            for edge in graph.upstream[index] {
                let upstream = graph.cells[edge.from]
                switch (edge.reason, upstream.stage) {
                case (.needs, .offline):
                    out.append(.onlineNeedsOffline(cell: id, offline: upstream.id.value,
                                                   offlinePublishes: upstream.publish.map(\.artifact.value), at: edge.range))
                case (.input(let path), .offline):
                    let publishedAs = upstream.publish.first { $0.path.value == path }?.artifact.value
                    out.append(.onlineReadsOfflineOutput(path, cell: id, producer: upstream.id.value, publishedAs: publishedAs,
                                                         at: edge.range))
                case (.needs, .online):
                    if !onlineUpstream.contains(upstream.id.value) { onlineUpstream.append(upstream.id.value) }
                default:
                    break
                }
            }
            if onlineUpstream.count > 1, let range = cell.keyRanges["needs"] {
                out.append(.onlineNeedsSeveral(cell: id, upstream: onlineUpstream, at: range))
            }
            // Only endpoints (online cells no other online cell needs) receive samples.
            let isEndpoint = !graph.downstream[index].contains { graph.cells[$0].stage == .online }
            if cell.samples == nil, isEndpoint {
                out.append(.onlineWithoutSample(cell: id, at: cell.id.range))
            }
        case .offline:
            if let range = cell.sampleRange { out.append(.offlineHasSample(cell: id, at: range)) }
            for edge in graph.upstream[index] where edge.reason == .needs && graph.cells[edge.from].stage == .online {
                out.append(.offlineNeedsOnline(cell: id, online: graph.cells[edge.from].id.value, at: edge.range))
            }
        }
        return out
    }
}
