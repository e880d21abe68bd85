import Foundation

/// The run records of a workspace (`runs/NAME/<run>.json`), newest last.
public struct RunHistory: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// The notebooks that have history.
    public var notebooks: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workspace.meta.appendingPathComponent("runs").path)) ?? []).sorted()
    }

    /// Run ids of a notebook, oldest first (ids sort by time).
    public func runIDs(_ notebook: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workspace.runsDirectory(notebook).path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The newest run id of a notebook, without listing and sorting them all.
    public func lastRunID(_ notebook: String) -> String? {
        FileBytes.greatestName(in: workspace.runsDirectory(notebook).path, suffix: ".json")
    }

    public func load(_ notebook: String, _ runID: String) -> RunReport? {
        let url = workspace.runsDirectory(notebook).appendingPathComponent("\(runID).json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder.splitbook.decode(RunReport.self, from: data)
    }

    /// Finds a run by id (or a unique prefix of one) in any notebook's history.
    public func find(_ id: String) -> RunReport? {
        let matches = notebooks.flatMap { nb in runIDs(nb).filter { $0.hasPrefix(id) }.map { (nb, $0) } }
        guard matches.count == 1 else { return nil }
        return load(matches[0].0, matches[0].1)
    }
}
