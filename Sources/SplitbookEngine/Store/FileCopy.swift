import CSplitbookSystem
import Foundation
import Synchronization

/// File copies that cost as little as the file system allows: a reflink
/// (`FICLONE`: the copy shares the source's blocks until either is written,
/// so nothing is read or written) on XFS and btrfs, else `copy_file_range`
/// (one in-kernel pass), else read/write. Each copy goes over whatever
/// regular file is at the target (see `FileWriter`) and is counted in `io`
/// under `stage`.
public enum FileCopy {
    static func copy(from source: String, to target: String, permissions: mode_t, spares: SparePool? = nil,
                     io: IOCounters? = nil, stage: IOStage) throws(FileSystemError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError("read", source) }
        defer { close(input) }
        let output = try FileWriter.open(target, permissions: permissions, spares: spares)
        defer { close(output) }
        if let size = clone(input, into: output) {
            try FileWriter.finish(output, length: Int(size), path: target)  // what was there may have been longer
            io?.add(stage, cloned: size)
            return
        }
        let total = try stream(input, into: output, source: source, target: target)
        try FileWriter.finish(output, length: total, path: target)
        io?.add(stage, read: Int64(total), written: Int64(total))
    }

    /// Copies a directory tree (files, executable bits, empty directories; symbolic links are copied as links).
    static func copyTree(from source: String, to target: String, io: IOCounters? = nil, stage: IOStage) throws(FileSystemError) {
        try AtomicFile.makeDirectory(target)
        guard let names = FileTree.names(in: source) else { throw FileSystemError("list", source) }
        for name in names {
            let from = source + "/" + name, to = target + "/" + name
            guard let identity = FileIdentity.of(from) else { continue }
            switch identity.kind {
            case .directory: try copyTree(from: from, to: to, io: io, stage: stage)
            case .file: try copy(from: from, to: to, permissions: identity.isExecutable ? 0o755 : 0o644, io: io, stage: stage)
            case .symlink:
                if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: from) { symlink(destination, to) }
            case .other: continue
            }
        }
    }

    /// Whether reflinks work between two devices: learnt from the first
    /// attempt, so a file system that cannot costs one failed `ioctl` per process.
    private static let reflinks = Mutex<[DevicePair: Bool]>([:])

    private struct DevicePair: Hashable {
        var source: UInt64
        var target: UInt64
    }

    /// Whether reflinks work within the file system that holds `directory`:
    /// known after the first copy there, else probed once with two files at
    /// `probe` (a fresh path in `directory`, made only then).
    static func reflinksWork(in directory: String, probe: @autoclosure () -> String) -> Bool {
        var st = stat()
        guard stat(directory, &st) == 0 else { return false }
        let pair = DevicePair(source: UInt64(st.st_dev), target: UInt64(st.st_dev))
        if let known = reflinks.withLock({ $0[pair] }) { return known }
        let path = probe()
        let source = path + "-a", target = path + "-b"
        defer { unlink(source); unlink(target) }
        guard (try? FileWriter.write(Data([1]), to: source)) != nil else { return false }
        try? copy(from: source, to: target, permissions: 0o600, stage: .placement)
        return reflinks.withLock { $0[pair] } ?? false
    }

    /// Files at least this large are worth writing back early before a reflink (see `startWriteback`).
    static let writebackThreshold: Int64 = 8 << 20

    /// A reflink waits until the source's data is on disk. For a large file
    /// about to be reflinked (a new output), this starts that write now, so
    /// it proceeds while the file is hashed.
    static func startWriteback(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, Int64(st.st_size) >= writebackThreshold { _ = splitbook_start_writeback(fd) }
    }

    /// Makes `output` a reflink of `input` and returns the size shared, or nil where that is not possible.
    private static func clone(_ input: Int32, into output: Int32) -> Int64? {
        var a = stat(), b = stat()
        guard fstat(input, &a) == 0, fstat(output, &b) == 0, a.st_size > 0 else { return nil }
        let pair = DevicePair(source: UInt64(a.st_dev), target: UInt64(b.st_dev))
        if reflinks.withLock({ $0[pair] }) == false { return nil }
        // Into an empty file: XFS refuses to clone a partial last block over a longer file (a spare, an earlier copy).
        if b.st_size > 0, ftruncate(output, 0) != 0 { return nil }
        if splitbook_clone(output, input) == 0 {
            reflinks.withLock { $0[pair] = true }
            return Int64(a.st_size)
        }
        // Only these say the file systems cannot; anything else (a full disk, say) is this file's problem.
        if [EOPNOTSUPP, EXDEV, ENOTTY, ENOSYS].contains(errno) { reflinks.withLock { $0[pair] = false } }
        return nil
    }

    /// Streams `input` into `output` from offset 0 and returns the bytes copied.
    private static func stream(_ input: Int32, into output: Int32, source: String, target: String) throws(FileSystemError) -> Int {
        var total = 0
        while true {
            let n = splitbook_copy_file_range(input, output, 1 << 30)
            if n > 0 { total += n; continue }
            if n == 0 { return total }
            if errno == EINTR { continue }
            if errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP { break }
            throw FileSystemError("copy to", target)
        }
        // Fallback: plain read/write, from where copy_file_range stopped.
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer, size)
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", source) }
            if n == 0 { return total }
            var offset = 0
            while offset < n {
                let w = write(output, buffer + offset, n - offset)
                if w < 0 { if errno == EINTR { continue }; throw FileSystemError("write", target) }
                offset += w
            }
            total += n
        }
    }
}
