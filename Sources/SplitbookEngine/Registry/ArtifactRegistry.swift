import Foundation
import SplitbookSpec

/// The registry: the only bridge between the offline and the online half
/// (CONTRACT §4). Plain files, meant to be read with `ls` and `cat`:
///
///     registry/
///       .lock                        held while anything is written (flock)
///       NAME/
///         versions/
///           1/
///             content                the artifact itself: a file, or a directory
///             lineage.json           where it came from (see `Lineage`)
///           2/ ...
///         aliases/
///           latest                   "2": the newest publication
///           production               any other alias, moved by `registry promote`
///         history.jsonl              one JSON line per publish, promote or rollback
///
/// Versions are whole numbers from 1 and never change once written: a version
/// directory is assembled under `.tmp/` and renamed into place. Publishing
/// content identical to an existing version creates no version; `latest`
/// moves to that version. Alias files are replaced atomically.
public final class ArtifactRegistry: @unchecked Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The registry a command uses: `--registry`, else `SPLITBOOK_REGISTRY`, else `outputs/registry`.
    public static func location(flag: String?, outputs: URL, environment: [String: String]) -> URL {
        if let flag { return URL(fileURLWithPath: flag) }
        if let env = environment["SPLITBOOK_REGISTRY"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return outputs.appendingPathComponent("registry")
    }

    /// Where a version came from.
    public struct Lineage: Codable, Sendable, Equatable {
        public var artifact: String
        public var version: Int
        /// `file` or `tree`.
        public var kind: String
        public var contentHash: Digest
        public var size: Int64
        public var notebook: String
        public var notebookPath: String
        public var cell: String
        /// The step key of the cell run that produced it; nil when an exported `run.sh` published it.
        public var stepKey: Digest?
        public var runID: String
        public var params: [String: String]
        public var inputs: [String: Digest]
        public var publishedAt: Date
    }

    /// A problem with a registry request (unknown artifact, version or alias).
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    // MARK: Reading

    public var artifacts: [ArtifactName] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .filter { !$0.hasPrefix(".") && ValuePattern.parseArtifactReference($0)?.name.rawValue == $0 }
            .sorted().map { ArtifactName($0) }
    }

    public func has(_ name: ArtifactName) -> Bool { !versions(name).isEmpty }

    public func versions(_ name: ArtifactName) -> [Int] {
        let dir = directory(name).appendingPathComponent("versions").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap(Int.init).sorted()
    }

    public func aliases(_ name: ArtifactName) -> [String: Int] {
        let dir = directory(name).appendingPathComponent("aliases")
        var out: [String: Int] = [:]
        for alias in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where !alias.hasPrefix(".") {
            if let text = try? String(contentsOf: dir.appendingPathComponent(alias), encoding: .utf8),
               let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) { out[alias] = version }
        }
        return out
    }

    public func lineage(_ name: ArtifactName, _ version: Int) -> Lineage? {
        let url = versionDirectory(name, version).appendingPathComponent("lineage.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder.splitbook.decode(Lineage.self, from: data)
    }

    /// The version a reference selects.
    public func resolve(_ reference: ArtifactReference) throws(Problem) -> Int {
        let name = reference.name
        guard has(name) else {
            let hint = Suggestion.closest(to: name.rawValue, in: artifacts.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
            throw Problem(description: "the registry at \(root.path) has no artifact '\(name)'\(hint)")
        }
        switch reference.selector {
        case .version(let v):
            guard versions(name).contains(v) else {
                throw Problem(description: "artifact '\(name)' has no version \(v) (it has \(versions(name).map(String.init).joined(separator: ", ")))")
            }
            return v
        case .alias(let alias):
            guard let v = aliases(name)[alias] else {
                throw Problem(description: "artifact '\(name)' has no alias '\(alias)' (it has \(aliases(name).keys.sorted().joined(separator: ", ")))")
            }
            return v
        }
    }

    /// The file or directory holding a version's content.
    public func contentPath(_ name: ArtifactName, _ version: Int) -> URL {
        versionDirectory(name, version).appendingPathComponent("content")
    }

    // MARK: Writing

    /// The outcome of a publish: the version that holds the content, and whether it is new.
    public struct Publication: Sendable, Equatable {
        public var artifact: ArtifactName
        public var version: Int
        public var created: Bool
    }

    /// Publishes a stored item (file or tree) as a version of `name`, unless a
    /// version with the same content exists; either way `latest` points to it.
    public func publish(_ name: ArtifactName, item: StoredItem, store: ContentStore, lineage: Lineage) throws -> Publication {
        try withLock {
            let existing = versions(name)
            let latest = aliases(name)["latest"]
            // Newest first: republishing what `latest` holds is the common case.
            for version in existing.reversed() where self.lineage(name, version)?.contentHash == item.digest {
                if latest != version {
                    try setAlias(name, "latest", to: version)
                    try appendHistory(name, action: "publish", version: version, alias: "latest", note: "identical content: no new version")
                }
                return Publication(artifact: name, version: version, created: false)
            }
            let version = (existing.last ?? 0) + 1
            let staging = root.appendingPathComponent(".tmp/\(name)-\(version)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try AtomicFile.makeDirectory(staging.path)
            try store.materialize(item, to: staging.appendingPathComponent("content").path, stage: .publish)
            var record = lineage
            record.artifact = name.rawValue
            record.version = version
            record.contentHash = item.digest
            record.kind = item.kind.rawValue
            record.size = item.size
            try AtomicFile.write(try JSONEncoder.splitbook.encode(record), to: staging.appendingPathComponent("lineage.json"))
            let target = versionDirectory(name, version)
            try AtomicFile.makeDirectory(target.deletingLastPathComponent().path)
            guard rename(staging.path, target.path) == 0 else { throw FileSystemError("publish", target.path) }
            AtomicFile.syncDirectory(target.deletingLastPathComponent().path)
            try setAlias(name, "latest", to: version)
            try appendHistory(name, action: "publish", version: version, alias: "latest", note: "\(lineage.notebook)/\(lineage.cell) run \(lineage.runID)")
            return Publication(artifact: name, version: version, created: true)
        }
    }

    /// Points `alias` of `name` at `version` (which must exist).
    public func promote(_ name: ArtifactName, version: Int, alias: String) throws {
        try withLock {
            guard versions(name).contains(version) else {
                throw Problem(description: has(name) ? "artifact '\(name)' has no version \(version)" : "no artifact '\(name)' in the registry")
            }
            try setAlias(name, alias, to: version)
            try appendHistory(name, action: "promote", version: version, alias: alias, note: "")
        }
    }

    /// Moves `alias` back to the version it pointed to before its last move; returns that version.
    public func rollback(_ name: ArtifactName, alias: String) throws -> Int {
        try withLock {
            let moves = history(name).filter { $0.alias == alias }.map(\.version)
            guard let current = aliases(name)[alias] else { throw Problem(description: "artifact '\(name)' has no alias '\(alias)'") }
            guard let previous = moves.reversed().first(where: { $0 != current }) else {
                throw Problem(description: "alias '\(alias)' of '\(name)' has pointed only at version \(current): nothing to roll back to")
            }
            try setAlias(name, alias, to: previous)
            try appendHistory(name, action: "rollback", version: previous, alias: alias, note: "from version \(current)")
            return previous
        }
    }

    /// One line of `history.jsonl`.
    public struct Event: Codable, Sendable {
        public var time: Date
        public var action: String
        public var version: Int
        public var alias: String
        public var note: String
    }

    public func history(_ name: ArtifactName) -> [Event] {
        guard let text = try? String(contentsOf: directory(name).appendingPathComponent("history.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder.splitbook.decode(Event.self, from: Data($0.utf8)) }
    }

    // MARK: Internals

    private func directory(_ name: ArtifactName) -> URL { root.appendingPathComponent(name.rawValue) }

    private func versionDirectory(_ name: ArtifactName, _ version: Int) -> URL {
        directory(name).appendingPathComponent("versions/\(version)")
    }

    private func setAlias(_ name: ArtifactName, _ alias: String, to version: Int) throws {
        try AtomicFile.write(Data("\(version)\n".utf8), to: directory(name).appendingPathComponent("aliases/\(alias)"))
    }

    private func appendHistory(_ name: ArtifactName, action: String, version: Int, alias: String, note: String) throws {
        let event = Event(time: Date(), action: action, version: version, alias: alias, note: note)
        var line = try JSONEncoder.compact.encode(event)
        line.append(0x0A)
        let path = directory(name).appendingPathComponent("history.jsonl").path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("append to", path) }
        defer { close(fd) }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Runs `body` holding the registry's write lock (publishers in other processes wait).
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try AtomicFile.makeDirectory(root.path)
        let path = root.appendingPathComponent(".lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw FileSystemError("lock", path) }
        }
        defer { flock(fd, LOCK_UN) }
        removeAbandonedFiles()
        return try body()
    }

    /// Removes what writers that died (`kill -9` mid-publish) left behind:
    /// staging directories in `.tmp/` (`NAME-VERSION-PID-RAND`) and the
    /// temporary files of alias writes. Only dead processes' files go; call
    /// with the registry lock held.
    public func removeAbandonedFiles() {
        AtomicFile.removeAbandonedScratch(in: root.appendingPathComponent(".tmp").path, parts: 4)
        AtomicFile.removeAbandonedTemporaries(in: artifacts.flatMap {
            [directory($0).path, directory($0).appendingPathComponent("aliases").path]
        })
    }

    /// `removeAbandonedFiles` under the registry's lock (`cache gc`).
    public func sweep() throws { try withLock {} }
}

extension JSONEncoder {
    /// Sorted keys, one line, ISO dates (history lines).
    static var compact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
