import Foundation

/// What a successful cell run produced, stored under its step key
/// (`steps/<key>.json`). Written only after every object it names is in
/// the store, so an entry that exists always restores completely.
public struct CacheEntry: Codable, Sendable {
    public static let formatVersion = 1

    public var version = CacheEntry.formatVersion
    public var key: Digest
    public var notebook: String
    public var cell: String
    public var components: StepKey
    /// Declared output path -> stored file or tree.
    public var outputs: [String: StoredItem]
    public var stdout: Digest
    public var stderr: Digest
    /// Files the cell wrote to SPLITBOOK_DISPLAY, in name order.
    public var display: [DisplayItem]
    public var metrics: [String: Double]
    public var warnings: [String]
    public var duration: Double
    public var runID: String
    public var createdAt: Date
    /// For an online endpoint: the stored JSON of its samples' requests, responses and latencies.
    public var samples: Digest?

    public init(key: Digest, notebook: String, cell: String, components: StepKey, outputs: [String: StoredItem], stdout: Digest,
                stderr: Digest, display: [DisplayItem], metrics: [String: Double], warnings: [String], duration: Double,
                runID: String, createdAt: Date, samples: Digest? = nil) {
        self.key = key
        self.notebook = notebook
        self.cell = cell
        self.components = components
        self.outputs = outputs
        self.stdout = stdout
        self.stderr = stderr
        self.display = display
        self.metrics = metrics
        self.warnings = warnings
        self.duration = duration
        self.runID = runID
        self.createdAt = createdAt
        self.samples = samples
    }

    /// Digest over all outputs: what a cell that `needs` this one sees.
    public var outputsDigest: Digest { Self.outputsDigest(outputs) }

    public static func outputsDigest(_ outputs: [String: StoredItem]) -> Digest {
        Digest.of(outputs.keys.sorted().map { "\($0) \(outputs[$0]!.kind.rawValue) \(outputs[$0]!.digest.hex)\n" }.joined())
    }

    /// Every object the entry refers to.
    public var objects: [Digest] { outputs.values.map(\.digest) + [stdout, stderr] + display.map(\.digest) + [samples].compactMap { $0 } }
}

/// One file from a cell's display directory.
public struct DisplayItem: Codable, Sendable, Equatable {
    public var name: String
    public var digest: Digest

    public init(name: String, digest: Digest) {
        self.name = name
        self.digest = digest
    }
}

extension JSONEncoder {
    /// Sorted keys and ISO dates: the encoder for every splitbook JSON file.
    static var splitbook: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var splitbook: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
