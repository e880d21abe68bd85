import Crypto
import Foundation

/// Content digests of files and directory trees, memoised on `FileIdentity`
/// so that a no-op run re-reads nothing.
///
/// The memo lives in one text file (`hashes.v1`), one line per path:
///
///     splitbook-hashes 1
///     <digest> <dev> <inode> <size> <mtime_ns> <ctime_ns> <hashed_at_ns> <path>
///
/// An entry is trusted only if the file's identity is unchanged *and* its
/// ctime is clearly older than the moment it was hashed: file timestamps tick
/// coarsely, so a write landing in the same tick as the hashing would
/// otherwise go unseen (git's "racily clean" problem). Such entries are simply
/// hashed again next time.
public final class FileHasher: @unchecked Sendable {
    struct Entry {
        var digest: Digest
        var identity: FileIdentity
        var hashedAt: Int64
    }

    private let memoURL: URL?
    private var memo: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()
    /// How much older than the hashing time a ctime must be for the entry to be trusted.
    let racyWindowNanos: Int64
    /// 100 ms: far above the timestamp granularity of any local filesystem.
    public static let defaultRacyWindowNanos: Int64 = 100_000_000
    /// Bytes hashed since creation (for tests and `--verbose`).
    public private(set) var bytesHashed: Int64 = 0

    private var loaded = false

    /// A hasher whose memo is read from (and saved to) `memoURL` when first
    /// needed; nil keeps it in memory only.
    /// Tests change `racyWindowNanos` to stay independent of the machine's load.
    /// Bytes hashed are counted in `io` under `stage`.
    public init(memoURL: URL?, racyWindowNanos: Int64 = FileHasher.defaultRacyWindowNanos, io: IOCounters? = nil, stage: IOStage = .hash) {
        self.memoURL = memoURL
        self.racyWindowNanos = racyWindowNanos
        self.io = io
        self.stage = stage
    }

    private let io: IOCounters?
    private let stage: IOStage

    /// Reads the memo file the first time it is needed (call with the lock held).
    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        if let memoURL, let text = try? String(contentsOf: memoURL, encoding: .utf8) { load(text) }
    }

    private func load(_ text: String) {
        var first = true
        LineRecords.forEach(in: text, maxFields: 8) { f in
            if first {
                first = false
                return f.joined(separator: " ") == "splitbook-hashes 1"
            }
            guard f.count == 8, let digest = Digest(hex: String(f[0])),
                  let dev = UInt64(f[1]), let ino = UInt64(f[2]), let size = Int64(f[3]),
                  let mtime = Int64(f[4]), let ctime = Int64(f[5]), let at = Int64(f[6]) else { return true }
            let identity = FileIdentity(device: dev, inode: ino, size: size, mtimeNanos: mtime, ctimeNanos: ctime, mode: 0)
            memo[String(f[7])] = Entry(digest: digest, identity: identity, hashedAt: at)
            return true
        }
    }

    /// Writes the memo back if it changed.
    public func save() throws(FileSystemError) {
        guard let memoURL else { return }
        let text: String? = lock.withLock {
            loadIfNeeded()
            guard dirty else { return nil }
            dirty = false
            var out = "splitbook-hashes 1\n"
            for (path, e) in memo.sorted(by: { $0.key < $1.key }) {
                let i = e.identity
                out += "\(e.digest.hex) \(i.device) \(i.inode) \(i.size) \(i.mtimeNanos) \(i.ctimeNanos) \(e.hashedAt) \(path)\n"
            }
            return out
        }
        if let text { try AtomicFile.write(Data(text.utf8), to: memoURL, durable: false) }
    }

    /// The digest of a regular file's bytes.
    public func digest(ofFile path: String) throws(FileSystemError) -> Digest {
        guard let identity = FileIdentity.of(path) else { throw FileSystemError("read", path, code: ENOENT) }
        return try digest(ofFile: path, identity: identity)
    }

    func digest(ofFile path: String, identity: FileIdentity) throws(FileSystemError) -> Digest {
        if let cached = lock.withLock({ () -> Entry? in
            loadIfNeeded()
            return memo[path]
        }), Self.sameFile(cached.identity, identity),
           identity.ctimeNanos < cached.hashedAt - racyWindowNanos {
            return cached.digest
        }
        let hashedAt = Self.now()
        let digest = try Self.hashFile(path, io: io, stage: stage)
        lock.withLock {
            loadIfNeeded()
            bytesHashed += identity.size
            memo[path] = Entry(digest: digest, identity: identity, hashedAt: hashedAt)
            dirty = true
        }
        return digest
    }

    /// Records that the file at `path`, as it is now, holds `digest`,
    /// without reading it: for a file the caller has just hashed and renamed
    /// (the store's objects). The entry is trusted while the file's identity
    /// is unchanged; any write, truncation or `chmod` changes that, and the
    /// file is hashed again before it is believed.
    public func remember(_ path: String, digest: Digest) {
        guard let identity = FileIdentity.of(path) else { return }
        lock.withLock {
            loadIfNeeded()
            memo[path] = Entry(digest: digest, identity: identity, hashedAt: .max)
            dirty = true
        }
    }

    /// Drops the memo entries of exactly these paths.
    public func forget(paths: Set<String>) {
        lock.withLock {
            loadIfNeeded()
            for path in paths where memo.removeValue(forKey: path) != nil { dirty = true }
        }
    }

    /// Drops memo entries for paths under `prefix` (after the files were removed or replaced).
    public func forget(under prefix: String) {
        lock.withLock {
            loadIfNeeded()
            let keys = memo.keys.filter { $0 == prefix || $0.hasPrefix(prefix + "/") }
            for key in keys { memo[key] = nil }
            if !keys.isEmpty { dirty = true }
        }
    }

    private static func sameFile(_ a: FileIdentity, _ b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size && a.mtimeNanos == b.mtimeNanos && a.ctimeNanos == b.ctimeNanos
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Files at least this large are hashed in parallel chunks.
    static let chunkedThreshold: Int64 = 64 << 20
    static let chunkSize: Int64 = 16 << 20

    /// The content digest of a file: SHA-256 of its bytes, or for files of
    /// 64 MiB and more a chunked SHA-256 (see `Digest.chunked`) computed on
    /// all cores, because one core's SHA-256 (about 1.4 GB/s here) is slower
    /// than the disk cache can deliver.
    static func hashFile(_ path: String, io: IOCounters? = nil, stage: IOStage = .hash) throws(FileSystemError) -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("read", path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError("read", path) }
        let size = Int64(st.st_size)
        io?.add(stage, read: size)
        if size >= chunkedThreshold {
            let count = Int((size + chunkSize - 1) / chunkSize)
            let digests = UnsafeMutableBufferPointer<SHA256.Digest?>.allocate(capacity: count)
            digests.initialize(repeating: nil)
            defer { digests.deallocate() }
            let failed = ManagedFlag()
            // Each iteration writes only its own slot.
            nonisolated(unsafe) let slots = digests
            DispatchQueue.concurrentPerform(iterations: count) { i in
                let offset = Int64(i) * chunkSize
                if let digest = hashRange(fd, from: offset, length: min(chunkSize, size - offset)) {
                    slots[i] = digest
                } else {
                    failed.set()
                }
            }
            guard !failed.isSet, digests.allSatisfy({ $0 != nil }) else { throw FileSystemError("read", path) }
            return Digest.chunked(size: size, chunks: digests.map { $0! })
        }
        guard let digest = hashRange(fd, from: 0, length: size, toEnd: true) else { throw FileSystemError("read", path) }
        return Digest(digest)
    }

    /// SHA-256 of `length` bytes at `offset` (or of everything from `offset`
    /// with `toEnd`), read with pread in 1 MiB blocks.
    private static func hashRange(_ fd: Int32, from offset: Int64, length: Int64, toEnd: Bool = false) -> SHA256.Digest? {
        var hasher = SHA256()
        let blockSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { buffer.deallocate() }
        var position = offset
        var remaining = length
        while toEnd || remaining > 0 {
            let want = toEnd ? blockSize : Int(min(Int64(blockSize), remaining))
            let n = pread(fd, buffer.baseAddress, want, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += Int64(n)
            remaining -= Int64(n)
        }
        if !toEnd, remaining > 0 { return nil }  // the file shrank while we read it
        return hasher.finalize()
    }
}
