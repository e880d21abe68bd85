import Foundation

/// A cell's inputs as placed in its directory, and the proof after it ran
/// that it left them alone (CONTRACT §2: inputs are read-only).
///
/// The proof is by `stat`, not by reading: the identity (inode, size, mode,
/// mtime, ctime) of every placed file and directory is recorded, and only an
/// input whose identities differ afterwards is hashed again. No process can
/// set ctime, so a cell that rewrites an input and restores its mtime is
/// still seen, provided the clock has moved on since the placement: a write
/// in the same tick of the file system's clock could leave ctime as it was.
/// So before the cell starts, `settle` waits out that tick (a few ms at
/// most) when a large input was placed in it; small ones placed in it are
/// hashed again afterwards instead, which costs less than the wait.
struct PlacedInputs {
    struct Input {
        /// Where it was placed, absolute.
        var path: String
        var digest: Digest
        var isTree: Bool
        /// The identity of the input, and for a directory of everything under it, by absolute path.
        var identities: [String: FileIdentity]
    }

    private(set) var inputs: [Input] = []
    /// Inputs placed in the clock tick the cell starts in: hashed again whatever their `stat` says.
    private var racy: Set<Int> = []

    /// Inputs this much or larger are worth waiting a clock tick for rather than hashing again.
    static let waitThreshold: Int64 = 1 << 20
    /// Never wait longer than this for the clock (a clock tick is 1 to 10 ms).
    static let maxWaitNanos: Int64 = 50_000_000

    /// Records an input just placed at `path`.
    mutating func add(path: String, digest: Digest, isTree: Bool) {
        inputs.append(Input(path: path, digest: digest, isTree: isTree, identities: Self.identities(at: path)))
    }

    /// Call right before the cell starts: see the type's comment.
    mutating func settle() {
        var now = Self.coarseClock()
        let placedNow = inputs.indices.filter { i in inputs[i].identities.values.contains { $0.ctimeNanos >= now } }
        guard !placedNow.isEmpty else { return }
        let newest = placedNow.flatMap { inputs[$0].identities.values.map(\.ctimeNanos) }.max()!
        let large = placedNow.contains { i in inputs[i].identities.values.reduce(0) { $0 + $1.size } >= Self.waitThreshold }
        if large {
            let deadline = now + Self.maxWaitNanos
            while now <= newest, now < deadline {
                usleep(500)
                now = Self.coarseClock()
            }
            if now > newest { return }
        }
        racy = Set(placedNow)
    }

    /// The first input (relative to `work`) whose content the cell changed, if any.
    /// `io` counts the bytes hashed again under `.check`.
    func firstModified(work: String, io: IOCounters) -> String? {
        for (i, input) in inputs.enumerated() where racy.contains(i) || Self.identities(at: input.path) != input.identities {
            let hasher = FileHasher(memoURL: nil, io: io, stage: .check)
            let now: Digest? = input.isTree
                ? (try? Tree.scan(input.path, hasher: hasher).digest)
                : (try? hasher.digest(ofFile: input.path))
            if now != input.digest { return String(input.path.dropFirst(work.count + 1)) }
        }
        return nil
    }

    /// Placed files whose identity is unchanged, for the scratch slot to reuse.
    var untouchedFiles: [String: FileIdentity] {
        var files: [String: FileIdentity] = [:]
        for input in inputs where !input.isTree {
            if let identity = input.identities[input.path], FileIdentity.of(input.path) == identity { files[input.path] = identity }
        }
        return files
    }

    /// `lstat` of `path` and, for a directory, of everything under it.
    static func identities(at path: String) -> [String: FileIdentity] {
        var found: [String: FileIdentity] = [:]
        func visit(_ path: String) {
            guard let identity = FileIdentity.of(path) else { return }
            found[path] = identity
            guard identity.kind == .directory else { return }
            for name in FileTree.names(in: path) ?? [] { visit(path + "/" + name) }
        }
        visit(path)
        return found
    }

    /// The clock file timestamps are taken from (without fine-grained
    /// timestamps; with them, a timestamp is at least this).
    static func coarseClock() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
