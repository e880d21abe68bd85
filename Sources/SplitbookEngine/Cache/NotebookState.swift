import Foundation

/// Per notebook, what each cell's last successful run produced
/// (`state/NAME.json`). A run's cache hits are decided from this one file
/// (no per-cell reads on a no-op); the full entries stay in `steps/` for
/// `explain`, history and older keys (changing a cell back is a hit there).
public struct NotebookState: Codable, Sendable {
    public static let formatVersion = 1

    /// One cell's latest result.
    public struct Cell: Codable, Sendable {
        public var key: Digest
        public var outputs: [String: StoredItem]
        public var duration: Double
        public var stdout: Digest
        public var stderr: Digest
        public var display: [DisplayItem]
        public var metrics: [String: Double]

        init(_ entry: CacheEntry) {
            key = entry.key
            outputs = entry.outputs
            duration = entry.duration
            stdout = entry.stdout
            stderr = entry.stderr
            display = entry.display
            metrics = entry.metrics
        }
    }

    public var version = NotebookState.formatVersion
    public var cells: [String: Cell] = [:]

    public init() {}

    public static func load(from url: URL) -> NotebookState {
        guard let data = try? Data(contentsOf: url),
              let state = try? JSONDecoder.splitbook.decode(NotebookState.self, from: data),
              state.version == formatVersion else { return NotebookState() }
        return state
    }

    public func save(to url: URL) throws(FileSystemError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return }
        try AtomicFile.write(data, to: url, durable: false)
    }
}

extension Workspace {
    /// The cache entry for a key, if one exists and every object it names is intact.
    public func entry(_ key: Digest) -> CacheEntry? {
        guard let data = try? Data(contentsOf: entryURL(key)),
              let entry = try? JSONDecoder.splitbook.decode(CacheEntry.self, from: data),
              entry.version == CacheEntry.formatVersion, entry.key == key,
              entry.outputs.values.allSatisfy(store.isIntact) else { return nil }
        return entry
    }

    public func save(_ entry: CacheEntry) throws(FileSystemError) {
        guard let data = try? JSONEncoder.splitbook.encode(entry) else { return }
        try AtomicFile.write(data, to: entryURL(entry.key), durable: false)
    }
}
