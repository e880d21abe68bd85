import Foundation

/// A directory's content as a sorted manifest of its entries. Its digest is
/// the SHA-256 of the manifest text, so two directories with the same files,
/// contents and executable bits have the same digest wherever they live.
///
/// Manifest format, one line per entry, sorted by path:
///
///     splitbook-tree 1
///     f <digest> <x|-> <relative path>      a regular file
///     l <digest of target text> <relative path>   a symbolic link
///     d <relative path>                      an empty directory
public struct Tree: Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        case file(path: String, digest: Digest, executable: Bool)
        case symlink(path: String, target: String)
        case emptyDirectory(path: String)

        var path: String {
            switch self {
            case .file(let p, _, _), .symlink(let p, _), .emptyDirectory(let p): p
            }
        }
    }

    public var entries: [Entry]

    public var manifest: String {
        var out = "splitbook-tree 1\n"
        for entry in entries.sorted(by: { $0.path < $1.path }) {
            switch entry {
            case .file(let path, let digest, let x): out += "f \(digest.hex) \(x ? "x" : "-") \(path)\n"
            case .symlink(let path, let target): out += "l \(Digest.of(target).hex) \(path)\n"
            case .emptyDirectory(let path): out += "d \(path)\n"
            }
        }
        return out
    }

    public var digest: Digest { Digest.of(manifest) }

    /// Reads a directory tree, hashing files through `hasher`.
    public static func scan(_ root: String, hasher: FileHasher) throws(FileSystemError) -> Tree {
        var entries: [Entry] = []
        try walk(root, relative: "", hasher: hasher, into: &entries)
        return Tree(entries: entries)
    }

    private static func walk(_ root: String, relative: String, hasher: FileHasher, into entries: inout [Entry]) throws(FileSystemError) {
        let dir = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        } catch {
            throw FileSystemError("list", dir, code: EIO)
        }
        if names.isEmpty, !relative.isEmpty { entries.append(.emptyDirectory(path: relative)) }
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let path = root + "/" + rel
            guard let identity = FileIdentity.of(path) else { continue }
            switch identity.kind {
            case .file:
                entries.append(.file(path: rel, digest: try hasher.digest(ofFile: path, identity: identity), executable: identity.isExecutable))
            case .directory:
                try walk(root, relative: rel, hasher: hasher, into: &entries)
            case .symlink:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? ""
                entries.append(.symlink(path: rel, target: target))
            case .other:
                continue
            }
        }
    }

    /// Parses a manifest written by `manifest`.
    public init?(manifest: String) {
        var lines = manifest.split(separator: "\n")[...]
        guard lines.popFirst() == "splitbook-tree 1" else { return nil }
        var entries: [Entry] = []
        for line in lines {
            let f = line.split(separator: " ", maxSplits: 3)
            switch f.first {
            case "f" where f.count == 4:
                guard let d = Digest(hex: String(f[1])) else { return nil }
                entries.append(.file(path: String(f[3]), digest: d, executable: f[2] == "x"))
            case "d" where f.count == 2:
                entries.append(.emptyDirectory(path: String(line.dropFirst(2))))
            default:
                return nil  // symlink targets are not recoverable from a digest; trees with links are stored differently
            }
        }
        self.entries = entries
    }

    public init(entries: [Entry]) { self.entries = entries }
}
