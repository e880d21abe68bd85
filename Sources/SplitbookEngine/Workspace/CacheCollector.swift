import Foundation

/// Sizes the cache and removes what nothing needs any more (`splitbook cache stats|gc`).
public struct CacheCollector: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public struct Stats: Codable, Sendable {
        public var objects = 0
        public var objectBytes: Int64 = 0
        public var entries = 0
        public var runs = 0
        public var notebooks: [String] = []
    }

    public func stats() -> Stats {
        var stats = Stats()
        forEachFile(in: workspace.meta.appendingPathComponent("objects")) { _, size in
            stats.objects += 1
            stats.objectBytes += size
        }
        forEachFile(in: workspace.meta.appendingPathComponent("steps")) { _, _ in stats.entries += 1 }
        let history = RunHistory(workspace: workspace)
        stats.notebooks = history.notebooks
        stats.runs = stats.notebooks.map { history.runIDs($0).count }.reduce(0, +)
        return stats
    }

    public struct Collected: Codable, Sendable {
        public var entriesRemoved = 0
        public var objectsRemoved = 0
        public var bytesFreed: Int64 = 0
        public var runsRemoved = 0
        public var environmentsRemoved = 0
    }

    /// Keeps the results of each notebook's last `keepLast` runs (and its current
    /// state); removes every other cache entry, run record and unreferenced
    /// object, the spare files, the damaged objects moved aside, and what
    /// dead runs left behind; and the workspace's Python environments (and
    /// package lists) that no kept entry ran in. Call with the lock held.
    /// `extraRoots` are objects kept regardless (e.g. registry artifacts).
    public func collect(keepLast: Int, extraRoots: Set<Digest> = []) throws -> Collected {
        var keptKeys = Set<Digest>()
        var keptObjects = extraRoots
        var keptPackages = Set<Digest>()
        let history = RunHistory(workspace: workspace)
        var result = Collected()
        let stateDir = workspace.meta.appendingPathComponent("state")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: stateDir.path)) ?? [] where name.hasSuffix(".state") {
            let state = NotebookState.load(from: stateDir.appendingPathComponent(name))
            keptKeys.formUnion(state.cells.values.map(\.key))
        }
        for notebook in history.notebooks {
            let ids = history.runIDs(notebook)
            for (i, id) in ids.enumerated() {
                if i >= ids.count - keepLast, let report = history.load(notebook, id) {
                    keptKeys.formUnion(report.cells.compactMap(\.key))
                    for cell in report.cells {
                        keptObjects.formUnion([cell.stdout, cell.stderr].compactMap { $0 })
                    }
                } else if i < ids.count - keepLast {
                    try? FileManager.default.removeItem(at: workspace.runsDirectory(notebook).appendingPathComponent("\(id).json"))
                    result.runsRemoved += 1
                }
            }
        }
        forEachFile(in: workspace.meta.appendingPathComponent("steps")) { path, _ in
            let name = (path as NSString).lastPathComponent
            if let key = Digest(hex: String(name.dropLast(5))), name.hasSuffix(".json"), keptKeys.contains(key),
               workspace.entryURL(key).path == path, let entry = workspace.entry(key) {
                keptObjects.formUnion(entry.objects)
                if let packages = entry.components.packages { keptPackages.insert(packages) }
                for item in entry.outputs.values where item.kind == .tree {
                    if let tree = workspace.store.tree(item.digest) {
                        for case .file(_, let digest, _) in tree.entries { keptObjects.insert(digest) }
                    }
                }
            } else {
                unlink(path)
                result.entriesRemoved += 1
            }
        }
        var removedObjects = Set<String>()
        forEachFile(in: workspace.meta.appendingPathComponent("objects")) { path, size in
            // Anything not at a kept object's path goes, including the
            // `objects/ab/cdef…` files of stores made before the flat layout.
            let name = (path as NSString).lastPathComponent
            if let digest = Digest(hex: name), keptObjects.contains(digest), workspace.store.path(of: digest) == path { return }
            chmod(path, 0o644)
            if unlink(path) == 0 {
                removedObjects.insert(path)
                result.objectsRemoved += 1
                result.bytesFreed += size
            }
        }
        // Fan-out directories of the old layout, now empty, and the spare files.
        for dir in ["objects", "steps"] {
            let path = workspace.meta.appendingPathComponent(dir).path
            for name in FileTree.names(in: path) ?? [] where FileIdentity.of(path + "/" + name)?.kind == .directory {
                rmdir(path + "/" + name)
            }
        }
        FileTree.remove(workspace.store.spares.directory)
        FileTree.remove(workspace.store.damagedDirectory)
        workspace.store.ledger.forget(paths: removedObjects)
        workspace.store.saveLedger()
        workspace.removeAbandonedFiles()
        result.environmentsRemoved = collectEnvironments(keeping: keptPackages)
        return result
    }

    /// Removes the workspace's own environments (not a shared `SPLITBOOK_ENVS`
    /// one, which other workspaces use) and package lists that no kept entry
    /// refers to, and environments whose builder died.
    private func collectEnvironments(keeping kept: Set<Digest>) -> Int {
        let store = EnvironmentStore(workspace: workspace, environment: [:])
        store.sweep()
        var removed = 0
        for (directory, marker) in store.environments() where !kept.contains(marker.locked.digest) {
            FileTree.remove(directory.path)
            unlink(store.root.path + "/.lock-" + directory.lastPathComponent)
            removed += 1
        }
        let lists = workspace.meta.appendingPathComponent("packages").path
        for name in FileTree.names(in: lists) ?? [] where Digest(hex: name).map(kept.contains) != true { unlink(lists + "/" + name) }
        return removed
    }

    private func forEachFile(in directory: URL, _ body: (String, Int64) -> Void) {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return }
        while let relative = enumerator.nextObject() as? String {
            let path = directory.path + "/" + relative
            if let identity = FileIdentity.of(path), identity.kind == .file { body(path, identity.size) }
        }
    }
}
