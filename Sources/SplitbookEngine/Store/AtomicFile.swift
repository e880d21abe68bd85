import Foundation

/// Crash-safe file writes: write to a temporary file in the same directory,
/// fsync it, rename it over the target, fsync the directory. A reader sees
/// the old content or the new, never a mix; `kill -9` or power loss at any
/// point leaves at worst a stray temporary file.
public enum AtomicFile {
    /// With `durable: false` the data is not fsynced (see `ContentStore` on why that is safe);
    /// the rename still makes the write all-or-nothing for crashes of this process.
    /// With `spares`, the temporary file starts as a spare and the replaced
    /// file goes back to the pool (see `SparePool`).
    public static func write(_ data: Data, to url: URL, permissions: mode_t = 0o644, durable: Bool = true,
                             spares: SparePool? = nil) throws(FileSystemError) {
        let directory = url.deletingLastPathComponent().path
        try makeDirectory(directory)
        let temporary = directory + "/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-" + url.lastPathComponent
        let fd = try FileWriter.open(temporary, permissions: permissions, spares: spares)
        var failure: FileSystemError?
        if !FileWriter.writeAll(fd, data) {
            failure = FileSystemError("write", temporary)
        } else if ftruncate(fd, off_t(data.count)) != 0 {  // a spare may have been longer
            failure = FileSystemError("truncate", temporary)
        } else if durable, fsync(fd) != 0 {
            failure = FileSystemError("sync", temporary)
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        let renamed = spares.map { $0.replace(url.path, with: temporary) } ?? (rename(temporary, url.path) == 0)
        guard renamed else {
            let error = FileSystemError("rename into", url.path)
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(directory) }
    }

    /// Whether `name` is the temporary file of a write by a process that is
    /// gone (`.tmp-PID-…`, as `write` names them): what a `kill -9` leaves.
    static func isAbandonedTemporary(_ name: String) -> Bool {
        guard name.hasPrefix(".tmp-") else { return false }
        let parts = name.split(separator: "-", maxSplits: 3)
        return parts.count >= 3 && Int32(parts[1]).map(isDeadProcess) == true
    }

    /// Removes the abandoned temporary files (`isAbandonedTemporary`) in each directory.
    static func removeAbandonedTemporaries(in directories: [String]) {
        for directory in directories {
            for name in FileTree.names(in: directory) ?? [] where isAbandonedTemporary(name) { unlink(directory + "/" + name) }
        }
    }

    /// Removes the entries of `directory` named `…-PID-RANDOM` whose process
    /// is gone (scratch and staging directories; at least `parts` dash-separated parts).
    static func removeAbandonedScratch(in directory: String, parts: Int) {
        for name in FileTree.names(in: directory) ?? [] {
            let fields = name.split(separator: "-")
            guard fields.count >= parts, let pid = Int32(fields[fields.count - 2]), isDeadProcess(pid) else { continue }
            FileTree.remove(directory + "/" + name)
        }
    }

    /// fsyncs a directory so a rename in it survives power loss.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// `mkdir -p`: one `stat` when the directory exists, one `mkdir` more
    /// when only it is missing, and parents created as needed.
    public static func makeDirectory(_ path: String) throws(FileSystemError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw FileSystemError("create directory", path, code: ENOTDIR) }
            return
        }
        if mkdir(path, 0o777) == 0 { return }
        if errno == ENOENT {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, parent != path {
                try makeDirectory(parent)
                if mkdir(path, 0o777) == 0 { return }
            }
        }
        // Another process may have made it meanwhile.
        if errno == EEXIST, stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return }
        throw FileSystemError("create directory", path)
    }
}

/// Whether no process has this pid (ours never counts as dead; another
/// user's process does not either).
func isDeadProcess(_ pid: Int32) -> Bool {
    pid != getpid() && kill(pid, 0) != 0 && errno != EPERM
}
