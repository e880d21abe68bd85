import Foundation

/// Per notebook, what each cell's last successful run produced
/// (`state/NAME.state`). A run's cache hits are decided from this one file
/// (no per-cell reads on a no-op); the full entries stay in `steps/` for
/// `explain`, history and older keys (changing a cell back is a hit there).
///
/// A line-based text format, read on every run, so it is parsed by hand:
///
///     splitbook-state 1
///     cell <id> <step key> <duration s> <stdout digest> <stderr digest>
///     o <file|tree> <digest> <x|-> <size> <output path>
///     d <digest> <display file name>
///     m <number> <metric name>
///     s <digest of an online endpoint's sample results>
///
/// `o`, `d` and `m` lines belong to the `cell` line above them. Paths and
/// names come last on their line, so they may contain spaces.
public struct NotebookState: Sendable {
    public static let header = "splitbook-state 1"

    /// One cell's latest result.
    public struct Cell: Sendable {
        public var key: Digest
        public var outputs: [String: StoredItem]
        public var duration: Double
        public var stdout: Digest
        public var stderr: Digest
        public var display: [DisplayItem]
        public var metrics: [String: Double]
        public var samples: Digest?

        public init(_ entry: CacheEntry) {
            key = entry.key
            outputs = entry.outputs
            duration = entry.duration
            stdout = entry.stdout
            stderr = entry.stderr
            display = entry.display
            metrics = entry.metrics
            samples = entry.samples
        }

        init(key: Digest, duration: Double, stdout: Digest, stderr: Digest) {
            self.key = key
            self.duration = duration
            self.stdout = stdout
            self.stderr = stderr
            outputs = [:]
            display = []
            metrics = [:]
        }
    }

    public var cells: [String: Cell] = [:]

    public init() {}

    /// The saved state, or an empty one when there is none or it cannot be read.
    public static func load(from url: URL) -> NotebookState {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return NotebookState() }
        return parse(text) ?? NotebookState()
    }

    static func parse(_ text: String) -> NotebookState? {
        var state = NotebookState()
        var current: (id: String, cell: Cell)?
        var first = true
        let ok = LineRecords.forEach(in: text, maxFields: 6) { f in
            if first {
                first = false
                return f.joined(separator: " ") == header
            }
            switch f[0] {
            case "cell":
                guard f.count == 6, let key = Digest(hex: String(f[2])), let duration = Double(f[3]),
                      let out = Digest(hex: String(f[4])), let err = Digest(hex: String(f[5])) else { return false }
                if let current { state.cells[current.id] = current.cell }
                current = (String(f[1]), Cell(key: key, duration: duration, stdout: out, stderr: err))
            case "o":
                guard f.count == 6, current != nil, let kind = StoredItem.Kind(rawValue: String(f[1])),
                      let digest = Digest(hex: String(f[2])), let size = Int64(f[4]) else { return false }
                current!.cell.outputs[String(f[5])] = StoredItem(kind: kind, digest: digest, executable: f[3] == "x", size: size)
            case "d":
                let rest = f.dropFirst(2).joined(separator: " ")
                guard f.count >= 3, current != nil, let digest = Digest(hex: String(f[1])) else { return false }
                current!.cell.display.append(DisplayItem(name: rest, digest: digest))
            case "s":
                guard f.count >= 2, current != nil, let digest = Digest(hex: String(f[1])) else { return false }
                current!.cell.samples = digest
            case "m":
                let rest = f.dropFirst(2).joined(separator: " ")
                guard f.count >= 3, current != nil, let value = Double(f[1]) else { return false }
                current!.cell.metrics[rest] = value
            default:
                return false
            }
            return true
        }
        guard ok, !first else { return nil }
        if let current { state.cells[current.id] = current.cell }
        return state
    }

    var text: String {
        var out = NotebookState.header + "\n"
        for id in cells.keys.sorted() {
            let c = cells[id]!
            out += "cell \(id) \(c.key.hex) \(c.duration) \(c.stdout.hex) \(c.stderr.hex)\n"
            for path in c.outputs.keys.sorted() {
                let o = c.outputs[path]!
                out += "o \(o.kind.rawValue) \(o.digest.hex) \(o.executable ? "x" : "-") \(o.size) \(path)\n"
            }
            for d in c.display { out += "d \(d.digest.hex) \(d.name)\n" }
            for name in c.metrics.keys.sorted() { out += "m \(c.metrics[name]!) \(name)\n" }
            if let samples = c.samples { out += "s \(samples.hex)\n" }
        }
        return out
    }

    /// Writes the state, unless the file already says exactly this (a no-op
    /// run leaves it untouched, so its identity can vouch for it; see `NoopStamp`).
    public func save(to url: URL) throws(FileSystemError) {
        let data = Data(text.utf8)
        if FileManager.default.contents(atPath: url.path) == data { return }
        try AtomicFile.write(data, to: url, durable: false)
    }
}

extension NotebookState.Cell {
    /// Every item the result keeps in the store, with what it holds in the
    /// user's words: its outputs by path, "its stdout", "display file x.png".
    public var storedItems: [(item: StoredItem, holding: String)] {
        var items = outputs.sorted { $0.key < $1.key }.map { (item: $0.value, holding: $0.key) }
        items += [(.file(stdout), "its stdout"), (.file(stderr), "its stderr")]
        items += display.map { (.file($0.digest), "display file \($0.name)") }
        if let samples { items.append((.file(samples), "its sample results")) }
        return items
    }
}

extension Workspace {
    /// The cache entry for a key, if one exists and reads as one. Whether its
    /// objects can be restored is `damage(in:cell:)`'s question.
    public func entry(_ key: Digest) -> CacheEntry? {
        guard let data = try? Data(contentsOf: entryURL(key)),
              let entry = try? JSONDecoder.splitbook.decode(CacheEntry.self, from: data),
              entry.version == CacheEntry.formatVersion, entry.key == key else { return nil }
        return entry
    }

    /// Every object of a stored result that is missing or damaged, with what
    /// it held in the user's words ("a.txt", "its stdout", "data/x.csv in out").
    public func damage(in result: NotebookState.Cell) -> [(object: ObjectProblem, holding: String)] {
        result.storedItems.flatMap { item, holding in
            store.problems(in: item).map { ($0, $0.member.map { "\($0) in \(holding)" } ?? holding) }
        }
    }

    public func save(_ entry: CacheEntry) throws(FileSystemError) {
        guard let data = try? JSONEncoder.splitbook.encode(entry) else { return }
        // A spare may start the file: after a power loss it could hold a spare's
        // old bytes, which `entry(_:)` rejects (the key inside must match).
        try AtomicFile.write(data, to: entryURL(entry.key), durable: false, spares: store.spares)
    }
}
