import CSplitbookSystem
import Foundation

/// A content-addressed object store: every file is kept once, under its
/// SHA-256, read-only. Directories are stored as their files plus a `Tree`
/// manifest object whose digest is the directory's digest.
///
/// Layout: `objects/<sha256 hex>`, one flat directory (ext4, XFS and btrfs
/// index large directories; fan-out subdirectories cost a `mkdir` each on a
/// fresh store, and a creation here costs as much as a cell's own work).
/// Objects are written to `tmp/` first and renamed into place, so after a
/// crash or `kill -9` an object path either does not exist or holds exactly
/// the bytes its name promises. Objects are not fsynced (a flush per cell
/// would cost more than most cells), and a disk, a power loss or a person can
/// still damage one later, so no object is believed unchecked: the store
/// records each object's identity (inode, size, mtime, ctime) when it writes
/// it (`ledger`, `objects.v1`), and `check` compares that with one `lstat`;
/// an object whose identity differs is hashed again against its name. A
/// damaged object is never restored (`materialize` refuses it): callers move
/// it aside (`quarantine`, into `damaged/`) and rerun the cell that made it,
/// and storing the same content again replaces it.
/// Nothing ever hands out a hard link to an object: cells and the workspace
/// get copies (reflinks where the file system has them, which are copies
/// too: a write to one leaves the object alone), so no cell and no user edit
/// can change a stored object.
public final class ContentStore: Sendable {
    public let root: URL
    private let objects: String
    private let tmp: String
    /// Where damaged objects are moved aside, for inspection.
    public let damagedDirectory: String
    /// Each object's identity when it was stored or last hashed: what makes `check` cheap.
    let ledger: FileHasher
    /// Files to reuse for copies and scratch files (never for objects: see `SparePool`).
    public let spares: SparePool
    /// Bytes moved through this store, by stage (a run reports its share).
    public let io = IOCounters()

    public init(root: URL) throws(FileSystemError) {
        self.root = root
        self.objects = root.appendingPathComponent("objects").path
        self.tmp = root.appendingPathComponent("tmp").path
        self.damagedDirectory = root.appendingPathComponent("damaged").path
        self.ledger = FileHasher(memoURL: root.appendingPathComponent("objects.v1"), io: io, stage: .verify)
        self.spares = SparePool(directory: root.appendingPathComponent("spare").path)
        try AtomicFile.makeDirectory(objects)
        try AtomicFile.makeDirectory(tmp)
    }

    public func path(of digest: Digest) -> String { Self.path(of: digest, in: root) }

    /// Where the store rooted at `root` keeps `digest`.
    public static func path(of digest: Digest, in root: URL) -> String {
        root.path + "/objects/" + digest.hex
    }

    public func contains(_ digest: Digest) -> Bool { access(path(of: digest), F_OK) == 0 }

    /// Whether an object is there and holds exactly the bytes its name
    /// promises: one `lstat` while its identity is the one recorded, else a
    /// full hash.
    public func check(_ digest: Digest) -> ObjectState {
        let path = path(of: digest)
        guard let identity = FileIdentity.of(path) else { return .missing }
        guard identity.kind == .file, let actual = try? ledger.digest(ofFile: path, identity: identity) else { return .damaged }
        return actual == digest ? .intact : .damaged
    }

    /// The objects of `item` that are missing or damaged: for a tree, its
    /// manifest or any of its files.
    public func problems(in item: StoredItem) -> [ObjectProblem] {
        let state = check(item.digest)
        guard state == .intact else { return [ObjectProblem(digest: item.digest, state: state, member: nil)] }
        guard item.kind == .tree else { return [] }
        guard let tree = tree(item.digest) else { return [ObjectProblem(digest: item.digest, state: .damaged, member: nil)] }
        return tree.entries.compactMap { entry in
            guard case .file(let member, let digest, _) = entry else { return nil }
            let state = check(digest)
            return state == .intact ? nil : ObjectProblem(digest: digest, state: state, member: member)
        }
    }

    /// Moves a damaged object aside (into `damaged/`), so that nothing reads
    /// it again and the next store of the same content writes it anew.
    public func quarantine(_ digest: Digest) {
        guard (try? AtomicFile.makeDirectory(damagedDirectory)) != nil else { return }
        let aside = damagedDirectory + "/" + digest.hex + "-" + String(FileHasher.now())
        if rename(path(of: digest), aside) != 0 { unlink(path(of: digest)) }
        ledger.forget(under: path(of: digest))
    }

    /// The directory manifest stored under `digest`, if it reads as one.
    public func tree(_ digest: Digest) -> Tree? {
        data(digest).flatMap { Tree(manifest: String(decoding: $0, as: UTF8.self)) }
    }

    /// Writes the ledger back (end of a run; losing it only costs rehashing).
    public func saveLedger() { try? ledger.save() }

    /// Whether the store's file system has reflinks (see `FileCopy`).
    public var hasReflinks: Bool { FileCopy.reflinksWork(in: tmp, probe: scratchPath("probe")) }

    /// A private scratch path inside the store's filesystem (for renames).
    public func scratchPath(_ label: String) -> String {
        "\(tmp)/\(label)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    }

    /// Stores a file whose digest is known. With `move`, the file is renamed
    /// into the store (it must be on the same filesystem) instead of copied.
    public func putFile(_ path: String, digest: Digest, move: Bool) throws(FileSystemError) {
        let target = self.path(of: digest)
        if contains(digest) {
            if check(digest) == .intact {
                if move { spares.recycle(path) }
                return
            }
            quarantine(digest)
        }
        let staged: String
        if move {
            staged = path
        } else {
            staged = scratchPath("object")
            try FileCopy.copy(from: path, to: staged, permissions: 0o444, io: io, stage: .store)
        }
        chmod(staged, 0o444)
        guard rename(staged, target) == 0 else {
            let error = FileSystemError("store object for", path)
            if !move { unlink(staged) }
            throw error
        }
        ledger.remember(target, digest: digest)
    }

    /// Stores bytes (logs, manifests) and returns their digest.
    @discardableResult
    public func putData(_ data: Data) throws(FileSystemError) -> Digest {
        let digest = Digest.of(data)
        guard !contains(digest) else { return digest }
        let staged = scratchPath("data")
        try AtomicFile.write(data, to: URL(fileURLWithPath: staged), permissions: 0o444, durable: false)
        try putFile(staged, digest: digest, move: true)
        return digest
    }

    public func data(_ digest: Digest) -> Data? {
        FileManager.default.contents(atPath: path(of: digest))
    }

    /// Stores a file or directory found at `path` (files moved in with `move`)
    /// and returns what was stored.
    public func put(_ path: String, hasher: FileHasher, move: Bool) throws(FileSystemError) -> StoredItem {
        guard let identity = FileIdentity.of(path) else { throw FileSystemError("read", path, code: ENOENT) }
        switch identity.kind {
        case .file:
            let digest = try hasher.digest(ofFile: path, identity: identity)
            try putFile(path, digest: digest, move: move)
            return StoredItem(kind: .file, digest: digest, executable: identity.isExecutable, size: identity.size)
        case .directory:
            let tree = try Tree.scan(path, hasher: hasher)
            for entry in tree.entries {
                switch entry {
                case .file(let rel, let digest, _): try putFile(path + "/" + rel, digest: digest, move: move)
                case .symlink(let rel, _): throw FileSystemError("store the symbolic link", path + "/" + rel, code: EINVAL)
                case .emptyDirectory: break
                }
            }
            let manifest = Data(tree.manifest.utf8)
            let digest = try putData(manifest)
            return StoredItem(kind: .tree, digest: digest, executable: false, size: Int64(manifest.count))
        default:
            throw FileSystemError("store (not a file or directory)", path, code: EINVAL)
        }
    }

    /// Writes a fresh, writable copy of a stored item to `path`, replacing
    /// what is there: a reflink where the file system has them (see
    /// `FileCopy`), counted under `stage`. Each file goes over the regular
    /// file already at its path or over a spare (see `FileWriter`), so no
    /// inode need be created. Every object is checked first: a missing or
    /// damaged one is an error, never a restore.
    public func materialize(_ item: StoredItem, to path: String, stage: IOStage) throws(FileSystemError) {
        if let problem = problems(in: item).first {
            throw FileSystemError("restore", path, reason: "its stored object \(problem.digest.hex.prefix(12)) is \(problem.state)")
        }
        switch item.kind {
        case .file:
            try AtomicFile.makeDirectory((path as NSString).deletingLastPathComponent)
            try FileCopy.copy(from: self.path(of: item.digest), to: path, permissions: item.executable ? 0o755 : 0o644, spares: spares,
                              io: io, stage: stage)
        case .tree:
            guard let tree = tree(item.digest) else { throw FileSystemError("read the tree object for", path, code: EIO) }
            FileTree.remove(path)
            try AtomicFile.makeDirectory(path)
            for entry in tree.entries {
                switch entry {
                case .file(let rel, let digest, let executable):
                    let target = path + "/" + rel
                    try AtomicFile.makeDirectory((target as NSString).deletingLastPathComponent)
                    try FileCopy.copy(from: self.path(of: digest), to: target, permissions: executable ? 0o755 : 0o644, spares: spares,
                                      io: io, stage: stage)
                case .emptyDirectory(let rel):
                    try AtomicFile.makeDirectory(path + "/" + rel)
                case .symlink:
                    break
                }
            }
        }
    }

    /// Removes a file or directory tree if present.
    public func removeItem(_ path: String) {
        FileTree.remove(path)
    }
}

/// What `ContentStore.check` found.
public enum ObjectState: String, Sendable {
    case intact, missing, damaged
}

/// An object of a stored item that cannot be restored.
public struct ObjectProblem: Sendable, Equatable {
    public var digest: Digest
    public var state: ObjectState
    /// The file's path inside a stored directory; nil for the item itself.
    public var member: String?
}

/// A file or directory in the store: what kind, its digest, and for files the executable bit.
public struct StoredItem: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case file, tree }
    public var kind: Kind
    public var digest: Digest
    public var executable: Bool
    /// Bytes of the file, or of the tree's manifest.
    public var size: Int64

    /// A plain stored file known only by its digest (logs, display files).
    public static func file(_ digest: Digest) -> StoredItem { StoredItem(kind: .file, digest: digest, executable: false, size: 0) }

    public init(kind: Kind, digest: Digest, executable: Bool, size: Int64) {
        self.kind = kind
        self.digest = digest
        self.executable = executable
        self.size = size
    }
}
