import Foundation
import SplitbookSpec

/// The Python interpreter an environment is made from.
public struct BasePython: Sendable, Equatable, Codable {
    /// The real executable (`/usr/bin/python3.11`).
    public var executable: String
    /// Its full version (`3.11.7`).
    public var version: String
    /// What identifies it in keys: path, version, content digest.
    public var identity: [String]

    public var minor: String { minorVersion(version) }
}

/// Cached environments (CONTRACT §10): one directory per (interpreter,
/// locked packages), built once, aside, and renamed into place, so that no
/// run ever uses a half-built one:
///
///     envs/
///       <id>/                      a finished environment (a venv)
///         splitbook-environment.json   written last, before the rename
///       .tmp-PID-<id>/             one being built by process PID
///       .lock-<id>                 held while <id> is built (flock)
///
/// Builders of the same environment wait for each other; a builder that
/// died (`kill -9`) left only a `.tmp-PID-…` directory, removed by the next.
public final class EnvironmentStore: @unchecked Sendable {
    /// `SPLITBOOK_ENVS` when set (shared by workspaces, so `cache gc`, which
    /// collects only the workspace's own store, never touches it), else
    /// the workspace's `.splitbook/envs`.
    public let root: URL
    private let environment: [String: String]
    /// Told what is being built, and (`detail`) the installer's output lines.
    public var progress: (@Sendable (EnvironmentProgress) -> Void)?

    public static let markerName = "splitbook-environment.json"

    public init(workspace: Workspace, environment: [String: String]) {
        if let shared = environment["SPLITBOOK_ENVS"], !shared.isEmpty {
            root = URL(fileURLWithPath: shared)
        } else {
            root = workspace.meta.appendingPathComponent("envs")
        }
        self.environment = environment
    }

    /// The environment's directory for `locked` made from `base`.
    public func directory(for locked: LockedEnvironment, base: BasePython) -> URL {
        root.appendingPathComponent(Self.id(for: locked, base: base).hex)
    }

    /// The Python a cell runs in that environment.
    public func python(for locked: LockedEnvironment, base: BasePython) -> String {
        directory(for: locked, base: base).appendingPathComponent("bin/python").path
    }

    static func id(for locked: LockedEnvironment, base: BasePython) -> Digest {
        Digest.of("splitbook-environment-dir 1\n" + base.identity.joined(separator: "\n") + "\n" + locked.digest.hex)
    }

    /// Whether the environment is built (its marker is written last).
    public func isBuilt(_ locked: LockedEnvironment, base: BasePython) -> Bool {
        FileIdentity.of(directory(for: locked, base: base).appendingPathComponent(Self.markerName).path) != nil
    }

    /// The environment of `locked`, built now if it is not yet; its Python.
    public func ensure(_ locked: LockedEnvironment, base: BasePython) throws -> String {
        let final = directory(for: locked, base: base)
        if isBuilt(locked, base: base) { return python(for: locked, base: base) }
        let id = final.lastPathComponent
        let lock = try acquire(id)
        defer { close(lock) }
        if isBuilt(locked, base: base) { return python(for: locked, base: base) }  // another process built it meanwhile
        let installer = try Installer.choose(environment: environment)
        progress?(.started("building the Python environment \(id.prefix(12)) (\(locked.packages.count) packages, \(installer.name)); "
                           + "later runs reuse it"))
        let staging = try makeStaging(id)
        defer { FileTree.remove(staging) }
        let venv = staging + "/env"
        try run(installer.createCommand(base: base.executable, at: venv), log: staging + "/log")
        let pins = staging + "/pins.txt"
        try AtomicFile.write(Data(locked.pinsText.utf8), to: URL(fileURLWithPath: pins), durable: false)
        try run(installer.installCommand(python: venv + "/bin/python", requirements: pins, exact: true), log: staging + "/log")
        let wanted = Set(locked.packages.map(\.pin))
        let installed = installedPins(venv, requested: Set(locked.packages.map(\.name)).intersection(Installer.tools))
        guard installed == wanted else {
            let missing = wanted.subtracting(installed).sorted()
            let extra = installed.subtracting(wanted).sorted()
            throw InstallerError(description: "the environment built from the lock differs from it (missing: "
                                 + "\(missing.joined(separator: ", ")); unexpected: \(extra.joined(separator: ", ")))")
        }
        try finish(venv, as: final, locked: locked, base: base)
        progress?(.finished("built the Python environment \(id.prefix(12))"))
        return python(for: locked, base: base)
    }

    /// Resolves `requirements` for `base` by installing them into a fresh
    /// environment, and returns the lock entry of what got installed; the
    /// environment is kept as the one for that entry. With `reuse`, an
    /// environment this store resolved from the same requirements before is
    /// the answer (as a lock keeps its pins until asked to upgrade).
    public func resolve(_ requirements: PythonRequirements, base: BasePython, reuse: Bool) throws(EnvironmentError) -> LockedEnvironment {
        if reuse, let known = resolved(requirements.texts, base: base) { return known }
        do {
            let installer = try Installer.choose(environment: environment)
            progress?(.started("resolving \(requirements.texts.joined(separator: ", ")) for Python \(base.minor) with \(installer.name)"))
            let staging = try makeStaging("resolve")
            defer { FileTree.remove(staging) }
            let venv = staging + "/env"
            try run(installer.createCommand(base: base.executable, at: venv), log: staging + "/log")
            let file = staging + "/requirements.txt"
            try AtomicFile.write(Data(requirements.texts.map { $0 + "\n" }.joined().utf8), to: URL(fileURLWithPath: file), durable: false)
            do {
                try run(installer.installCommand(python: venv + "/bin/python", requirements: file, exact: false), log: staging + "/log")
            } catch let failure as InstallerError {
                throw Self.located(failure, requirements)
            }
            let requested = Set(requirements.items.map(\.name))
            let installed = SitePackages.packages(inEnvironment: venv)
            let locked = LockedEnvironment(requirements: requirements.texts, python: base.minor, interpreter: base.version,
                                           packages: installed.filter { !Installer.tools.contains($0.name) || requested.contains($0.name) })
            let final = directory(for: locked, base: base)
            let lock = try acquire(final.lastPathComponent)
            defer { close(lock) }
            if !isBuilt(locked, base: base) {
                FileTree.remove(final.path)
                try finish(venv, as: final, locked: locked, base: base)
            }
            return locked
        } catch let error as EnvironmentError {
            throw error
        } catch {
            throw EnvironmentError([Diagnostic(.installFailed, "cannot install the requirements: \(error)", at: requirements.blockRange)],
                                   source: requirements.source)
        }
    }

    /// Removes the environments being built by processes that are gone.
    public func sweep() {
        for name in FileTree.names(in: root.path) ?? [] where name.hasPrefix(".tmp-") {
            let parts = name.split(separator: "-", maxSplits: 3)
            guard parts.count >= 3, let pid = Int32(parts[1]), isDeadProcess(pid) else { continue }
            FileTree.remove(root.path + "/" + name)
        }
    }

    /// The finished environments and what each was built for.
    func environments() -> [(directory: URL, marker: Marker)] {
        (FileTree.names(in: root.path) ?? []).filter { !$0.hasPrefix(".") }.compactMap { name in
            let dir = root.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(Self.markerName).path),
                  let marker = try? JSONDecoder().decode(Marker.self, from: data) else { return nil }
            return (dir, marker)
        }
    }

    /// The lock entry of a finished environment resolved from exactly these requirements for `base`.
    private func resolved(_ requirements: [String], base: BasePython) -> LockedEnvironment? {
        environments().first { $0.marker.locked.requirements == requirements && $0.marker.interpreter == base.identity }?.marker.locked
    }

    // MARK: Building

    /// `splitbook-environment.json`: what a finished environment holds.
    struct Marker: Codable {
        var lockDigest: String
        var interpreter: [String]
        var locked: LockedEnvironment
    }

    private var cleanEnvironment: [String: String] {
        var env = environment
        for name in ["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONSTARTUP"] { env[name] = nil }
        return env
    }

    /// A fresh directory for one build: `env/` (the environment), the installer's logs, its input.
    private func makeStaging(_ label: String) throws(FileSystemError) -> String {
        try AtomicFile.makeDirectory(root.path)
        sweep()
        let staging = root.path + "/.tmp-\(getpid())-\(label.prefix(16))-\(UInt32.random(in: 0...UInt32.max))"
        FileTree.remove(staging)
        try AtomicFile.makeDirectory(staging)
        return staging
    }

    /// Marks the environment at `staging` finished and renames it to `final`.
    private func finish(_ staging: String, as final: URL, locked: LockedEnvironment, base: BasePython) throws {
        let marker = Marker(lockDigest: locked.digest.hex, interpreter: base.identity, locked: locked)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // No fsync: an environment is a cache that a lost one is rebuilt into, and its
        // thousands of installed files were not synced either.
        try AtomicFile.write(try encoder.encode(marker), to: URL(fileURLWithPath: staging + "/" + Self.markerName), durable: false)
        guard rename(staging, final.path) == 0 else { throw FileSystemError("rename", final.path) }
    }

    /// The pins installed in the environment at `directory`, the installer's tools left out unless `requested`.
    private func installedPins(_ directory: String, requested: Set<String>) -> Set<String> {
        Set(SitePackages.packages(inEnvironment: directory).filter { !Installer.tools.contains($0.name) || requested.contains($0.name) }.map(\.pin))
    }

    /// Takes the build lock of environment `id` (waiting for another builder).
    private func acquire(_ id: String) throws(FileSystemError) -> Int32 {
        try AtomicFile.makeDirectory(root.path)
        let path = root.path + "/.lock-\(id)"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            progress?(.started("waiting for another process building the same Python environment"))
            while flock(fd, LOCK_EX) != 0 {
                if errno != EINTR { close(fd); throw FileSystemError("lock", path) }
            }
        }
        return fd
    }

    /// Runs an installer step; its output goes to `log` and, line by line, to `progress`.
    private func run(_ argv: [String], log: String) throws {
        let out = log + ".out", err = log + ".err"
        defer { unlink(out); unlink(err) }
        let follower = progress.map { progress in
            LogFollower(stdout: out, stderr: err, mask: SecretMask(values: [])) { _, line in progress(.detail(line)) }
        }
        follower?.start()
        let termination = Subprocess.run(Subprocess.Request(argv: argv, environment: cleanEnvironment, directory: root.path,
                                                             stdoutPath: out, stderrPath: err, timeout: nil))
        follower?.stop()
        switch termination {
        case .exited(0): return
        case .interrupted: throw InstallerError(description: "interrupted")
        default:
            let text = [out, err].compactMap { FileManager.default.contents(atPath: $0) }.map { String(decoding: $0, as: UTF8.self) }
                .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            throw InstallerError(description: "\(Self.describe(argv)) failed (\(Self.describe(termination))):\n\(Self.tail(text))")
        }
    }

    /// `pip install`, `uv venv`: the step, as a user would type it.
    static func describe(_ argv: [String]) -> String {
        let program = URL(fileURLWithPath: argv[0]).lastPathComponent
        if argv.count > 3, argv[1] == "-m" { return "\(argv[2]) \(argv[3])" }  // python -m pip install, python -m venv DIR
        return ([program] + argv.dropFirst().prefix { !$0.hasPrefix("-") && !$0.hasPrefix("/") }).joined(separator: " ")
    }

    static func describe(_ termination: Subprocess.Termination) -> String {
        switch termination {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        case .timedOut: "timed out"
        case .interrupted: "interrupted"
        case .failedToStart(let reason): reason
        }
    }

    /// The installer's message as a located error at the requirement it names.
    static func located(_ failure: InstallerError, _ requirements: PythonRequirements) -> EnvironmentError {
        let item = requirements.blamed(by: failure.description)
        let what = item.map { "cannot install '\($0.text)'" } ?? "cannot install the requirements"
        return EnvironmentError([Diagnostic(.installFailed, what, at: item?.range ?? requirements.blockRange,
                                            notes: [Diagnostic.Note("the installer said:\n" + failure.description)])],
                                source: requirements.source)
    }

    /// The last lines of an installer's output (the error is at the end).
    static func tail(_ text: String, lines: Int = 25) -> String {
        let all = text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        return all.suffix(lines).map { "  " + $0 }.joined(separator: "\n")
    }
}

/// What an environment build reports as it goes.
public enum EnvironmentProgress: Sendable {
    /// A step starts (always worth a line).
    case started(String)
    /// A line the installer printed (for a terminal).
    case detail(String)
    case finished(String)
}
