import Foundation
import SplitbookSpec

/// Resolves a cell's interpreter command to the program that really runs and
/// to an identity for the step key, so that a changed interpreter version
/// invalidates the cache (CONTRACT §3).
///
/// The identity is the resolved executable's path and content digest (the
/// digest is memoised on the file's stat like any input). For Python the
/// command on PATH is often a dispatcher (a pyenv shim, a venv launcher), so
/// Python is asked once which executable and version it really is; the
/// answer is memoised on the dispatcher's and the executable's stat and on the
/// variables that steer dispatchers (PATH, PYENV_VERSION, VIRTUAL_ENV,
/// CONDA_PREFIX), and cells then run that executable directly.
public final class InterpreterResolver: @unchecked Sendable {
    /// What runs a cell, and what identifies it in the key.
    public struct Resolved: Sendable, Codable, Equatable {
        public var command: [String]
        public var identity: [String]
        /// Python only: the interpreter itself (what environments are made from).
        public var python: BasePython?
        /// Python only: the pins of the distributions it can import, sorted.
        public var packages: [String]?
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let hasher: FileHasher
    private let environment: [String: String]
    private let memoURL: URL?
    private var memo: [String: ProbeResult] = [:]
    private var resolved: [String: Resolved] = [:]
    private var consulted = Set<String>()
    private var dirty = false
    private let lock = NSLock()

    struct ProbeResult: Codable {
        var executable: String
        var base: String
        var version: String
        var launcher: String
        var launcherStat: String
        var executableStat: String
        /// The import path's directories and their stats when probed.
        var watched: [String: String]
        var packages: [String]
    }

    public init(hasher: FileHasher, environment: [String: String], memoURL: URL?) {
        self.hasher = hasher
        self.environment = environment
        self.memoURL = memoURL
        if let memoURL, let data = try? Data(contentsOf: memoURL),
           let loaded = try? JSONDecoder().decode([String: ProbeResult].self, from: data) {
            memo = loaded
        }
    }

    /// Every file whose identity the resolutions so far depended on.
    public var consultedFiles: Set<String> { lock.withLock { consulted } }

    public func save() throws(FileSystemError) {
        guard let memoURL else { return }
        let data: Data? = lock.withLock {
            guard dirty else { return nil }
            dirty = false
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            return try? encoder.encode(memo)
        }
        if let data { try AtomicFile.write(data, to: memoURL, durable: false) }
    }

    /// The command and identity for a cell's language and optional explicit interpreter.
    public func resolve(language: Language, interpreter: [String]?) throws(Failure) -> Resolved {
        guard let argv = interpreter ?? language.defaultInterpreter, let program = argv.first else {
            throw Failure(description: "no interpreter for lang '\(language)'")
        }
        let cacheKey = "\(language)\u{0}" + argv.joined(separator: "\u{0}")
        if let hit = lock.withLock({ resolved[cacheKey] }) { return hit }
        guard let path = Self.which(program, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw Failure(description: "interpreter '\(program)' not found on PATH")
        }
        var result: Resolved
        lock.withLock { _ = consulted.insert(path) }
        if language == .python {
            let probe = try probePython(launcher: path)
            lock.withLock { consulted.formUnion([probe.executable, (probe.executable as NSString).resolvingSymlinksInPath] + probe.watched.keys) }
            let identity = ["python=\(probe.version)", "executable=\(probe.executable)", "digest=\(try digest(probe.executable))"]
            // Environments are made from the interpreter itself, not from a virtual environment on PATH.
            let base = ["python=\(probe.version)", "executable=\(probe.base)", "digest=\(try digest(probe.base))"]
            lock.withLock { _ = consulted.insert(probe.base) }
            result = Resolved(command: [probe.executable] + argv.dropFirst(), identity: argv + identity,
                              python: BasePython(executable: probe.base, version: probe.version, identity: base),
                              packages: probe.packages)
        } else {
            let real = (path as NSString).resolvingSymlinksInPath
            lock.withLock { _ = consulted.insert(real) }
            result = Resolved(command: [path] + argv.dropFirst(), identity: argv + ["executable=\(real)", "digest=\(try digest(real))"])
        }
        lock.withLock { resolved[cacheKey] = result }
        return result
    }

    private func digest(_ path: String) throws(Failure) -> String {
        do {
            return try hasher.digest(ofFile: path).hex
        } catch {
            throw Failure(description: "cannot read interpreter \(path): \(error)")
        }
    }

    private func probePython(launcher: String) throws(Failure) -> ProbeResult {
        let steering = ["PATH", "PYENV_VERSION", "VIRTUAL_ENV", "CONDA_PREFIX"].map { "\($0)=\(environment[$0] ?? "")" }
        let key = ([launcher] + steering).joined(separator: "\u{0}")
        if let cached = lock.withLock({ memo[key] }), cached.launcherStat == Self.statText(launcher),
           cached.executableStat == Self.statText(cached.executable),
           cached.watched.allSatisfy({ Self.statText($0.key) == $0.value }) {
            return cached
        }
        // The cells' own environment decides the import path (HOME: the user site directory).
        var probeEnvironment: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "PYENV_VERSION"] { probeEnvironment[name] = environment[name] }
        let inventory: PackageInventory
        do {
            inventory = try PackageInventory.read(python: launcher, environment: probeEnvironment)
        } catch {
            throw Failure(description: "\(launcher) did not say which Python it is: \(error)")
        }
        var watched: [String: String] = [:]
        for directory in inventory.watched { watched[directory] = Self.statText(directory) }
        let result = ProbeResult(executable: inventory.executable, base: inventory.base, version: inventory.version, launcher: launcher,
                                 launcherStat: Self.statText(launcher), executableStat: Self.statText(inventory.executable),
                                 watched: watched, packages: inventory.packages.map(\.pin))
        lock.withLock {
            memo[key] = result
            dirty = true
        }
        return result
    }

    private static func statText(_ path: String) -> String {
        guard let i = FileIdentity.of((path as NSString).resolvingSymlinksInPath) else { return "missing" }
        return "\(i.device):\(i.inode):\(i.size):\(i.mtimeNanos):\(i.ctimeNanos)"
    }

    /// The first executable named `program` on `path` (or `program` itself when it has a slash).
    public static func which(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if access(candidate, X_OK) == 0, FileIdentity.of(candidate)?.kind != .directory { return candidate }
        }
        return nil
    }
}
