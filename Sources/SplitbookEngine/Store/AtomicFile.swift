import Foundation

/// Crash-safe file writes: write to a temporary file in the same directory,
/// fsync it, rename it over the target, fsync the directory. A reader sees
/// the old content or the new, never a mix; `kill -9` or power loss at any
/// point leaves at worst a stray temporary file.
public enum AtomicFile {
    /// With `durable: false` the data is not fsynced (see `ContentStore` on why that is safe);
    /// the rename still makes the write all-or-nothing for crashes of this process.
    public static func write(_ data: Data, to url: URL, permissions: mode_t = 0o644, durable: Bool = true) throws(FileSystemError) {
        let directory = url.deletingLastPathComponent().path
        try makeDirectory(directory)
        let temporary = directory + "/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-" + url.lastPathComponent
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw FileSystemError("create", temporary) }
        var failure: FileSystemError?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = FileSystemError("write", temporary)
                    return
                }
                offset += n
            }
        }
        if failure == nil, durable, fsync(fd) != 0 { failure = FileSystemError("sync", temporary) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, url.path) == 0 else {
            let error = FileSystemError("rename into", url.path)
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(directory) }
    }

    /// fsyncs a directory so a rename in it survives power loss.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// `mkdir -p`.
    public static func makeDirectory(_ path: String) throws(FileSystemError) {
        if FileIdentity.of(path)?.kind == .directory { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError("create directory", path, code: (error as NSError).code == 0 ? EIO : Int32((error as NSError).code))
        }
    }
}
