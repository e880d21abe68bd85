import Foundation

/// The scratch directories cells run in, reused from one cell to the next
/// within a run.
///
/// Creating an inode is the dearest thing a cell does besides its own work
/// (about 0.5 ms on this machine's ext4), and every deletion makes later
/// allocations slower for a minute or more (ext4 skips recently deleted
/// inodes). So a slot keeps its directories and fixed files and is emptied
/// between cells rather than removed. The cell still sees exactly its
/// declared inputs: `reset` leaves nothing of the previous cell behind.
///
///     base/            the cell's TMPDIR
///       work/          its working directory: emptied
///       display/       SPLITBOOK_DISPLAY: emptied
///       lib/           the Python helper (rewritten per cell); anything else removed
///       params.json, stdout, stderr    rewritten per cell
///
/// Anything else under `base` is removed; the input copies and the script
/// become spares (`SparePool`) when they still hold what splitbook wrote.
/// Slots are named like other scratch files (`cell-<pid>-<random>`), so a
/// run killed with -9 leaves them for `Workspace.removeAbandonedFiles`.
public final class ScratchSlots: @unchecked Sendable {
    private let store: ContentStore
    private let lock = NSLock()
    private var free: [String] = []
    private var all: Set<String> = []

    init(store: ContentStore) { self.store = store }

    /// The names a slot keeps between cells, with their kind.
    private static let kept: [String: FileIdentity.Kind] = [
        "work": .directory, "display": .directory, "lib": .directory,
        "params.json": .file, "stdout": .file, "stderr": .file,
    ]

    /// An empty slot: a free one, or a new one.
    func acquire() throws(FileSystemError) -> String {
        if let base = lock.withLock({ free.popLast() }) { return base }
        let base = store.scratchPath("cell")
        try CellExecutor.makeScratch(base)
        lock.withLock { _ = all.insert(base) }
        return base
    }

    /// Empties a slot for the next cell; one that cannot be emptied is removed.
    /// Files in `reusable` that still have the given identity become spares;
    /// everything else is deleted.
    func release(_ base: String, reusable: [String: FileIdentity]) {
        if reset(base, reusable: reusable) {
            lock.withLock { free.append(base) }
        } else {
            FileTree.remove(base)
            lock.withLock { _ = all.remove(base) }
        }
    }

    /// Removes every slot (at the end of a run).
    func removeAll() {
        let bases = lock.withLock { () -> Set<String> in
            defer { all = []; free = [] }
            return all
        }
        bases.forEach(FileTree.remove)
    }

    private func reset(_ base: String, reusable: [String: FileIdentity]) -> Bool {
        func clear(_ path: String) {
            let identity = FileIdentity.of(path)
            if let known = reusable[path], identity == known {
                store.spares.recycle(path)
            } else if identity?.kind == .directory, let names = FileTree.names(in: path) {
                names.forEach { clear(path + "/" + $0) }
                if rmdir(path) != 0 { FileTree.remove(path) }
            } else {
                FileTree.remove(path)
            }
        }
        guard let names = FileTree.names(in: base) else { return false }
        var present: Set<String> = []
        for name in names {
            let path = base + "/" + name
            guard let kind = Self.kept[name], let identity = FileIdentity.of(path), identity.kind == kind else {
                clear(path)
                continue
            }
            present.insert(name)
            guard kind == .directory else { continue }
            // A cell may have made its directories read-only.
            if identity.mode & 0o777 != 0o755 { chmod(path, 0o755) }
            for entry in FileTree.names(in: path) ?? [] where !(name == "lib" && entry == PythonHelper.fileName) {
                clear(path + "/" + entry)
            }
        }
        // A failed cell's work directory is moved out to be kept.
        for dir in ["work", "display"] where !present.contains(dir) && mkdir(base + "/" + dir, 0o755) != 0 { return false }
        // Logs that went into the store leave their names free: refill them from the pool.
        for log in ["stdout", "stderr"] where !present.contains(log) { _ = store.spares.place(at: base + "/" + log) }
        return FileIdentity.of(base).map { $0.mode & 0o777 == 0o755 || chmod(base, 0o755) == 0 } ?? false
    }
}
