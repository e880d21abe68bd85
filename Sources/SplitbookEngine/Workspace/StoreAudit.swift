import Foundation

/// `splitbook cache verify [--repair]`: rehashes every object in the store
/// against its name, reads every cache entry and state file, and says what
/// is damaged, missing or unreadable, and which cells it belongs to.
///
/// Runs never need it (they check each object before restoring it, see
/// `ContentStore.check`); it is for a user who suspects the disk, and for
/// after a crash. With `repair`, damaged objects are moved aside (the cells
/// that made them rerun next time), unreadable entries and state files are
/// removed (a miss, not a wrong restore), and intact objects' identities are
/// recorded so later checks are cheap. Call with the workspace lock held.
public struct StoreAudit: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// One problem found.
    public struct Finding: Codable, Sendable, Equatable {
        /// `damaged object`, `missing object`, `unreadable entry`, `unreadable state` or `stray file`.
        public var kind: String
        /// The path under the outputs directory.
        public var path: String
        /// What it held or what is wrong, in the user's words.
        public var detail: String
        /// Whether `repair` dealt with it.
        public var repaired: Bool
    }

    public struct Report: Codable, Sendable {
        public var objects = 0
        public var bytes: Int64 = 0
        public var entries = 0
        public var states = 0
        public var findings: [Finding] = []
    }

    public func run(repair: Bool) -> Report {
        var report = Report()
        let meta = workspace.meta.path
        let entries = readEntries(repair: repair, into: &report)
        var users: [Digest: [String]] = [:]
        for entry in entries {
            let result = NotebookState.Cell(entry)
            for (item, holding) in storedItems(of: result) {
                users[item.digest, default: []].append("\(holding) of cell \(entry.cell) (notebook \(entry.notebook))")
            }
        }
        let store = workspace.store
        for name in (FileTree.names(in: meta + "/objects") ?? []).sorted() {
            let path = meta + "/objects/" + name
            guard let digest = Digest(hex: name), let identity = FileIdentity.of(path), identity.kind == .file else {
                report.findings.append(Finding(kind: "stray file", path: relative(path), detail: "not an object of this store", repaired: false))
                continue
            }
            report.objects += 1
            report.bytes += identity.size
            let actual = try? FileHasher.hashFile(path)
            if actual == digest {
                if repair { store.ledger.remember(path, digest: digest) }
                continue
            }
            if repair { store.quarantine(digest) }
            let holds = users[digest].map { "holds " + $0.joined(separator: ", ") } ?? "no cache entry refers to it"
            report.findings.append(Finding(kind: "damaged object", path: relative(path), detail: holds, repaired: repair))
        }
        for entry in entries {
            for (problem, holding) in workspace.damage(in: NotebookState.Cell(entry)) where problem.state == .missing {
                let url = workspace.entryURL(entry.key)
                if repair { unlink(url.path) }
                report.findings.append(Finding(kind: "missing object", path: relative(url.path),
                                               detail: "\(holding) of cell \(entry.cell) (notebook \(entry.notebook)) is not in the store",
                                               repaired: repair))
            }
        }
        checkStates(repair: repair, into: &report)
        if repair {
            store.saveLedger()
            workspace.removeAbandonedFiles()
        }
        return report
    }

    /// Every cache entry that reads as one; the others are findings.
    private func readEntries(repair: Bool, into report: inout Report) -> [CacheEntry] {
        let steps = workspace.meta.path + "/steps"
        var entries: [CacheEntry] = []
        for name in (FileTree.names(in: steps) ?? []).sorted() where !name.hasPrefix(".tmp-") {
            let path = steps + "/" + name
            guard FileIdentity.of(path)?.kind == .file else { continue }
            report.entries += 1
            if name.hasSuffix(".json"), let key = Digest(hex: String(name.dropLast(5))), let entry = workspace.entry(key) {
                entries.append(entry)
                continue
            }
            if repair { unlink(path) }
            report.findings.append(Finding(kind: "unreadable entry", path: relative(path), detail: "not a cache entry of this version",
                                           repaired: repair))
        }
        return entries
    }

    private func checkStates(repair: Bool, into report: inout Report) {
        let directory = workspace.meta.path + "/state"
        for name in (FileTree.names(in: directory) ?? []).sorted() where name.hasSuffix(".state") && !name.hasPrefix(".tmp-") {
            let path = directory + "/" + name
            report.states += 1
            guard let bytes = FileBytes.read(path), !bytes.starts(with: Array((NotebookState.header + "\n").utf8)) else { continue }
            if repair { unlink(path) }
            report.findings.append(Finding(kind: "unreadable state", path: relative(path),
                                           detail: "not a state file of this version; the notebook's cells are looked up by key instead",
                                           repaired: repair))
        }
    }

    /// The result's items and, for directories, each file in them.
    private func storedItems(of result: NotebookState.Cell) -> [(StoredItem, String)] {
        var items = result.storedItems
        for (item, holding) in result.storedItems where item.kind == .tree {
            for case .file(let member, let digest, _) in workspace.store.tree(item.digest)?.entries ?? [] {
                items.append((item: .file(digest), holding: "\(member) in \(holding)"))
            }
        }
        return items.map { ($0.item, $0.holding) }
    }

    private func relative(_ path: String) -> String {
        let root = workspace.root.path + "/"
        return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }
}
