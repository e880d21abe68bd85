import Foundation

/// The `outputs/` directory a run writes to (CONTRACT §3, "Layout"):
///
///     outputs/
///       NAME/                     latest outputs of every cell of notebook NAME (browsable copies)
///       registry/                 the default artifact registry
///       .splitbook/
///         lock                    held by the run that writes (flock)
///         objects/<sha256>        the content store (read-only objects)
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
        self.hasher = FileHasher(memoURL: meta.appendingPathComponent("hashes.v1"))
    }

    /// Where notebook `name`'s latest outputs are browsable.
    public func notebookDirectory(_ name: String) -> URL { root.appendingPathComponent(name) }

    public func entryURL(_ key: Digest) -> URL {
        meta.appendingPathComponent("steps/\(key.hex).json")
    }

    public func stateURL(_ notebook: String) -> URL { meta.appendingPathComponent("state/\(notebook).state") }

    public func runsDirectory(_ notebook: String) -> URL { meta.appendingPathComponent("runs/\(notebook)") }

    public var interpretersURL: URL { meta.appendingPathComponent("interpreters.json") }

    public var defaultRegistry: URL { root.appendingPathComponent("registry") }

    /// Takes the workspace's write lock, waiting for another run to finish
    /// first (`onWait` is told once, with the holder's pid when known). The
    /// lock is released when the returned object is released or the process
    /// dies, even by `kill -9`.
    public func lock(onWait: (String) -> Void) throws(FileSystemError) -> WorkspaceLock {
        let path = meta.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            onWait(holder)
            while flock(fd, LOCK_EX) != 0 {
                if errno != EINTR { close(fd); throw FileSystemError("lock", path) }
            }
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        return WorkspaceLock(fd: fd)
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
