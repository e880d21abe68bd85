import Foundation

/// The package lists behind the `packages` digests of step keys, kept in
/// `.splitbook/packages/<digest>` (one `name==version` per line), so that
/// `explain` and `status` can say which package changed, not just that one did.
public final class PackageLists: @unchecked Sendable {
    private let directory: URL
    private var recorded = Set<Digest>()
    private let lock = NSLock()

    public init(workspace: Workspace) {
        directory = workspace.meta.appendingPathComponent("packages")
    }

    /// The digest a caller interpreter's fingerprint enters keys as.
    public static func fingerprint(_ pins: [String]) -> Digest {
        Digest.of("splitbook-packages 1\n" + pins.map { $0 + "\n" }.joined())
    }

    /// Keeps `pins` under `digest` (once per process and digest; a failure only costs explanations).
    public func record(_ pins: [String], as digest: Digest) {
        guard lock.withLock({ recorded.insert(digest).inserted }) else { return }
        let url = directory.appendingPathComponent(digest.hex)
        guard FileIdentity.of(url.path) == nil else { return }
        try? AtomicFile.makeDirectory(directory.path)
        try? AtomicFile.write(Data(pins.map { $0 + "\n" }.joined().utf8), to: url, durable: false)
    }

    /// name -> version of the list kept under `digest`.
    public func load(_ digest: Digest) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(digest.hex).path) else { return nil }
        var versions: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: true)
            if parts.count == 2 { versions[String(parts[0])] = String(parts[1]) }
        }
        return versions
    }
}
