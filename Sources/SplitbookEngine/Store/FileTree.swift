import Foundation

/// Directory listing and removal straight on the system calls: these run
/// several times per cell, and Foundation's versions add a `stat` or two per
/// step and per entry.
public enum FileTree {
    /// The entry names of a directory (without `.` and `..`), unsorted; nil if it cannot be opened.
    public static func names(in directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file, symbolic link or directory tree; a missing path is not an error.
    /// Directories the process cannot write or search (a cell may `chmod` them) are opened up first.
    public static func remove(_ path: String) {
        if unlink(path) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM || errno == EACCES else { return }
        if rmdir(path) == 0 || errno == ENOENT { return }
        guard let identity = FileIdentity.of(path), identity.kind == .directory else { return }
        if identity.mode & 0o700 != 0o700 { chmod(path, mode_t(identity.mode & 0o7777) | 0o700) }
        for name in names(in: path) ?? [] { remove(path + "/" + name) }
        rmdir(path)
    }
}
