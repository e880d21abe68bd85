import CSplitbookSystem
import Foundation

/// Files kept for reuse instead of being deleted (`.splitbook/spare/`).
///
/// On this machine's ext4 (no journal) creating a file costs 0.3 to 0.8 ms,
/// nearly all of it in the inode allocator stepping over inodes deleted in
/// the last minutes, while overwriting a file in place costs about 15 µs. So
/// the files splitbook is done with (input copies, scripts, the old side of a
/// replaced file) go into this pool, and the files it writes next (input
/// copies, scripts, temporaries renamed into place) start as a spare.
///
/// A spare is a small regular file with one link. Whoever takes one
/// overwrites all of it and cuts it to the new length (`FileWriter`), so no
/// old byte survives. Taking is a `rename` out of the pool, which only one
/// process can win, so runs, `serve` and the registry may share the pool
/// without a lock.
public final class SparePool: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var names: [String]?
    private var counter = UInt64.random(in: 0...(UInt64.max >> 1))

    /// At most this many spares are kept; more are deleted.
    static let capacity = 256
    /// Larger files are deleted: cutting them frees as many blocks as
    /// deleting, and the pool stays under 64 MiB.
    static let maxSize: Int64 = 256 << 10

    init(directory: String) { self.directory = directory }

    /// Moves a spare to `path` (which must not exist) and returns true;
    /// false when there is none or the move fails.
    public func place(at path: String) -> Bool {
        while let name = pop() {
            let spare = directory + "/" + name
            if rename(spare, path) == 0 { return true }
            // Taken by another process: try the next. Otherwise (say, `path`'s
            // directory is missing) keep it and let the caller create a file.
            if FileIdentity.of(spare) != nil {
                push(name)
                return false
            }
        }
        return false
    }

    /// Keeps a file splitbook is done with as a spare if it is a small,
    /// writable regular file with one link, and removes it otherwise; a
    /// directory is emptied that way and removed.
    public func recycle(_ path: String) {
        guard let identity = FileIdentity.of(path) else { return }
        if identity.kind == .directory {
            for name in FileTree.names(in: path) ?? [] { recycle(path + "/" + name) }
            if rmdir(path) != 0 { FileTree.remove(path) }
            return
        }
        guard identity.kind == .file, identity.links == 1, identity.size <= Self.maxSize, identity.mode & 0o200 != 0,
              let name = newName() else {
            FileTree.remove(path)
            return
        }
        if rename(path, directory + "/" + name) == 0 {
            push(name)
        } else if errno == ENOENT, mkdir(directory, 0o755) == 0 || errno == EEXIST, rename(path, directory + "/" + name) == 0 {
            push(name)
        } else {
            FileTree.remove(path)
        }
    }

    /// Replaces `target` with `source` atomically and recycles what `target`
    /// held (an exchange of the two names, then the old side into the pool);
    /// a plain rename when `target` does not exist yet.
    public func replace(_ target: String, with source: String) -> Bool {
        if splitbook_exchange(source, target) == 0 {
            recycle(source)
            return true
        }
        return rename(source, target) == 0
    }

    /// Reads the spares' names from the directory on first use. Call with the lock held.
    private func load() {
        if names == nil { names = FileTree.names(in: directory) ?? [] }
    }

    private func pop() -> String? {
        lock.withLock {
            load()
            return names!.popLast()
        }
    }

    private func push(_ name: String) {
        lock.withLock { names?.append(name) }
    }

    /// A fresh name, or nil when the pool is full.
    private func newName() -> String? {
        lock.withLock {
            load()
            guard names!.count < Self.capacity else { return nil }
            counter += 1
            return "\(getpid())-\(counter)"
        }
    }
}

