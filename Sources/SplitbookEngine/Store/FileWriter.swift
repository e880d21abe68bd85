import Foundation

/// Writes a file from offset 0 over whatever regular file is at the path (a
/// spare, an earlier copy), then cuts it to the new length: no inode is
/// created or freed when one can be reused (see `SparePool`).
public enum FileWriter {
    /// Opens `path` for writing at offset 0. A regular file with one link is
    /// reused as is (not truncated: call `finish` when done); anything else
    /// there (a link, a directory, a file linked elsewhere) is removed. Where
    /// nothing is left, a spare from `spares` takes the name, else a new file.
    public static func open(_ path: String, permissions: mode_t, spares: SparePool? = nil) throws(FileSystemError) -> Int32 {
        if let fd = reusable(path, permissions: permissions) { return fd }
        if spares?.place(at: path) == true, let fd = reusable(path, permissions: permissions) { return fd }
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw FileSystemError("create", path) }
        fchmod(fd, permissions)  // whatever the umask
        return fd
    }

    /// The regular, singly linked file at `path` opened for writing; nil
    /// (after removing whatever else is there) otherwise.
    private static func reusable(_ path: String, permissions: mode_t) -> Int32? {
        let fd = Foundation.open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 {
            var st = stat()
            if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_nlink == 1 {
                if st.st_mode & 0o7777 != permissions { fchmod(fd, permissions) }
                return fd
            }
            close(fd)
        }
        if fd >= 0 || errno != ENOENT { FileTree.remove(path) }
        return nil
    }

    /// Cuts the file where the new content ends.
    public static func finish(_ fd: Int32, length: Int, path: String) throws(FileSystemError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw FileSystemError("truncate", path) }
    }

    /// Writes all of `data` to an open descriptor.
    public static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
    }

    /// Writes `data` as the whole content of `path` (no staging, no fsync).
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644, spares: SparePool? = nil) throws(FileSystemError) {
        let fd = try open(path, permissions: permissions, spares: spares)
        defer { close(fd) }
        guard writeAll(fd, data) else { throw FileSystemError("write", path) }
        try finish(fd, length: data.count, path: path)
    }
}
