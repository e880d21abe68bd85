import Foundation

/// What `stat` says about a file, enough to tell whether it may have changed
/// since it was last hashed: device, inode, size, mtime and ctime in
/// nanoseconds. ctime cannot be set by users, so an edit that restores size
/// and mtime is still seen.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNanos: Int64
    public var ctimeNanos: Int64
    public var mode: UInt32
    /// Hard links to the file (not part of equality: linking elsewhere does not change the content).
    public var links: UInt64 = 1

    public enum Kind: Sendable { case file, directory, symlink, other }

    public var kind: Kind {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): .file
        case UInt32(S_IFDIR): .directory
        case UInt32(S_IFLNK): .symlink
        default: .other
        }
    }

    public var isExecutable: Bool { mode & 0o111 != 0 }

    public static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size && a.mtimeNanos == b.mtimeNanos
            && a.ctimeNanos == b.ctimeNanos && a.mode == b.mode
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(inode)
        hasher.combine(ctimeNanos)
    }

    /// `lstat` of a path, nil when it does not exist.
    public static func of(_ path: String) -> FileIdentity? {
        path.withCString { of(cPath: $0) }
    }

    /// `lstat` of a NUL-terminated path, nil when it does not exist.
    public static func of(cPath path: UnsafePointer<CChar>) -> FileIdentity? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                            mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                            ctimeNanos: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                            mode: UInt32(st.st_mode), links: UInt64(st.st_nlink))
    }
}
