import Foundation

/// The `outputs/` directory a run writes to (CONTRACT §3, "Layout"):
///
///     outputs/
///       NAME/                     latest outputs of every cell of notebook NAME (browsable copies)
///       registry/                 the default artifact registry
///       .splitbook/
///         lock                    held by the run that writes (flock)
///         objects/<sha256>        the content store (read-only objects)
///         objects.v1              each object's identity when stored (see ContentStore.check)
///         damaged/                objects found damaged, moved aside
///         tmp/                    staging for the store and cell directories
///         spare/                  files kept for reuse (see SparePool)
///         steps/<key>.json        cache entries: step key -> result
///         state/NAME.state        per notebook: each cell's last step key and outputs
///         runs/NAME/<run>.json    run history
///         hashes.v1               file digests memoised on stat
///         interpreters.json       resolved interpreters
public final class Workspace: @unchecked Sendable {
    public let root: URL
    public let meta: URL
    public let store: ContentStore
    public let hasher: FileHasher

    public init(root: URL) throws(FileSystemError) {
        self.root = root
        self.meta = root.appendingPathComponent(".splitbook")
        try AtomicFile.makeDirectory(meta.path)
        self.store = try ContentStore(root: meta)
        self.hasher = FileHasher(memoURL: meta.appendingPathComponent("hashes.v1"), io: store.io, stage: .hash)
    }

    /// Where notebook `name`'s latest outputs are browsable.
    public func notebookDirectory(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// `outputs/NAME/report.html`: the HTML report every run leaves beside the
    /// notebook's browsable outputs (a cell may not declare an output of that name).
    public func reportURL(_ notebook: String) -> URL { notebookDirectory(notebook).appendingPathComponent("report.html") }

    public func entryURL(_ key: Digest) -> URL {
        meta.appendingPathComponent("steps/\(key.hex).json")
    }

    public func stateURL(_ notebook: String) -> URL { meta.appendingPathComponent("state/\(notebook).state") }

    public func runsDirectory(_ notebook: String) -> URL { meta.appendingPathComponent("runs/\(notebook)") }

    public var interpretersURL: URL { meta.appendingPathComponent("interpreters.json") }

    public var defaultRegistry: URL { root.appendingPathComponent("registry") }

    /// Takes the workspace's write lock, waiting for another run to finish
    /// first (`onWait` is told once, with "pid N" or "holder unknown"). The
    /// lock is released when the returned object is released or the process
    /// dies, even by `kill -9`.
    public func lock(onWait: (String) -> Void) throws(FileSystemError) -> WorkspaceLock {
        let path = meta.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            onWait(Self.holder(of: fd))
            while flock(fd, LOCK_EX) != 0 {
                if errno != EINTR { close(fd); throw FileSystemError("lock", path) }
            }
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return WorkspaceLock(fd: fd)
    }

    /// Who holds the lock, as the lock file says: "pid N" while N is a live
    /// process, else "holder unknown" (the holder may not have written its
    /// pid yet).
    static func holder(of fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        if let pid = Int32(text), pid > 0, kill(pid, 0) == 0 || errno == EPERM { return "pid \(pid)" }
        return "holder unknown"
    }

    /// Removes what runs that died (`kill -9`, power loss) left behind:
    /// scratch files and cell directories in `tmp/`, and the temporary files
    /// of atomic writes (`.tmp-PID-…`) beside the state, entries, history
    /// and memo files. Their names carry the pid of the process that made
    /// them; only dead processes' are removed. Call with the lock held.
    public func removeAbandonedFiles() {
        AtomicFile.removeAbandonedScratch(in: meta.appendingPathComponent("tmp").path, parts: 3)
        let runs = meta.appendingPathComponent("runs").path
        AtomicFile.removeAbandonedTemporaries(in: [meta.path, meta.path + "/state", meta.path + "/steps", runs]
                                              + (FileTree.names(in: runs) ?? []).map { runs + "/" + $0 })
    }

    /// "the file system holding PATH is full (N bytes free)" when less than
    /// 64 KiB is left where cells run and results are kept: the likeliest
    /// reason a cell or a store failed, said beside its own error.
    public func fullFileSystemNote() -> String? {
        var info = statvfs()
        guard statvfs(meta.path, &info) == 0 else { return nil }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        guard free < 64 << 10 else { return nil }
        return "the file system holding \(root.path) is full (\(free) bytes free)"
    }

}

/// The held workspace lock; dropping it releases the lock.
public final class WorkspaceLock: @unchecked Sendable {
    private let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
