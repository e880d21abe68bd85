import Synchronization

/// What a run moves bytes for. Each counts the bytes it read, wrote and
/// cloned (a reflink shares the source's blocks: nothing read or written).
public enum IOStage: String, CaseIterable, Sendable, Codable {
    /// Hashing files to know their content: source inputs for keys, a cell's new outputs, the workspace copies.
    case hash
    /// Hashing stored objects again because their `stat` changed (`ContentStore.check`).
    case verify
    /// Copies into the store (outputs are moved in; only copied when they cannot be).
    case store
    /// Copies from the store to the browsable `outputs/NAME`.
    case workspace
    /// Copies from the store into the registry (publishing).
    case publish
    /// Copies of inputs into cell directories.
    case placement
    /// Hashing a cell's inputs after it ran, to prove it left them alone (only when their `stat` changed).
    case check
}

/// Bytes read, written and cloned per stage. Shared by everything that uses
/// one store; a run reports the difference between two `snapshot`s.
public final class IOCounters: Sendable {
    /// The counts of one stage.
    public struct Count: Sendable, Equatable, Codable {
        public var read: Int64 = 0
        public var written: Int64 = 0
        public var cloned: Int64 = 0

        public init(read: Int64 = 0, written: Int64 = 0, cloned: Int64 = 0) {
            self.read = read
            self.written = written
            self.cloned = cloned
        }

        public var isZero: Bool { read == 0 && written == 0 && cloned == 0 }
    }

    private let counts = Mutex<[IOStage: Count]>([:])

    public init() {}

    public func add(_ stage: IOStage, read: Int64 = 0, written: Int64 = 0, cloned: Int64 = 0) {
        counts.withLock {
            var count = $0[stage, default: Count()]
            count.read += read
            count.written += written
            count.cloned += cloned
            $0[stage] = count
        }
    }

    public func snapshot() -> [IOStage: Count] { counts.withLock { $0 } }

    /// What was counted between `earlier` and now (stages with nothing to say left out).
    public func since(_ earlier: [IOStage: Count]) -> [IOStage: Count] {
        var result: [IOStage: Count] = [:]
        for (stage, now) in snapshot() {
            let then = earlier[stage] ?? Count()
            let delta = Count(read: now.read - then.read, written: now.written - then.written, cloned: now.cloned - then.cloned)
            if !delta.isZero { result[stage] = delta }
        }
        return result
    }
}
