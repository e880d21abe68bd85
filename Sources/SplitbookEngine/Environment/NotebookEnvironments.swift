import Foundation
import SplitbookSpec

/// The environments a notebook's Python cells run in, as its lock file pins
/// them (CONTRACT §10): read, checked against the `python:` blocks, and
/// brought up to date when they changed.
public struct NotebookEnvironments: Sendable {
    /// How a stale or missing lock is treated.
    public enum Mode: Sendable {
        /// `run`: resolve what changed and rewrite the lock (and say so).
        case refresh
        /// `run --locked`: a stale lock is an error.
        case locked
        /// `lock --upgrade`: resolve every block again.
        case upgrade
        /// `status`, `explain`, `serve`: read only; unlocked blocks stay unlocked.
        case readOnly
    }

    /// One Python cell's environment.
    public struct Assignment: Sendable {
        public var requirements: PythonRequirements
        public var base: BasePython
        /// Nil only in `readOnly` mode when the lock does not cover the block.
        public var locked: LockedEnvironment?
    }

    /// The lock file, relative when the notebook's path is (as messages show it).
    public let lockPath: String
    public var lockURL: URL { URL(fileURLWithPath: lockPath) }
    /// By cell id, for the Python cells with a `python:` block.
    public private(set) var cells: [CellID: Assignment] = [:]
    /// What changed in the lock file, in words (empty: untouched).
    public private(set) var changes: [String] = []
    /// The lock file and requirements files (what the no-op stamp watches).
    public private(set) var files: [String] = []

    private init(lockPath: String) { self.lockPath = lockPath }

    /// Reads (and in `refresh`/`upgrade` mode, updates) the lock of `file`'s notebook.
    public static func prepare(_ file: NotebookFile, notebook: Notebook, interpreters: InterpreterResolver,
                               store: EnvironmentStore, mode: Mode) throws -> NotebookEnvironments {
        var result = NotebookEnvironments(lockPath: LockFile.path(forNotebook: file.source.path))
        let pythonCells = notebook.codeCells.filter { notebook.pythonSpec(of: $0) != nil }
        guard !pythonCells.isEmpty else { return result }
        result.files.append(result.lockPath)
        let existing = try LockFile.load(result.lockURL)
        var updated = LockFile()
        var problems: [EnvironmentError] = []
        var read: [SourceRange: PythonRequirements] = [:]
        for cell in pythonCells {
            let spec = notebook.pythonSpec(of: cell)!
            let requirements: PythonRequirements
            if let known = read[spec.keyRange] {
                requirements = known
            } else {
                requirements = try PythonRequirements.read(spec, notebook: file.source, directory: file.directory)
                read[spec.keyRange] = requirements
                if case .file(let path) = spec.requirements { result.files.append(file.directory.appendingPathComponent(path.value.rawValue).path) }
            }
            let base = try Self.base(for: cell, requirements: requirements, interpreters: interpreters)
            var locked = updated.environment(requirements: requirements.texts, python: base.minor)
            if locked == nil, mode != .upgrade {
                locked = existing.environment(requirements: requirements.texts, python: base.minor)
            }
            if locked == nil {
                switch mode {
                case .refresh, .upgrade:
                    do {
                        locked = try store.resolve(requirements, base: base, reuse: mode == .refresh)
                    } catch {
                        problems.append(error)
                        continue
                    }
                case .locked:
                    problems.append(EnvironmentError([Self.staleLock(requirements, lockPath: result.lockPath, notebookPath: file.source.path)],
                                                     source: requirements.source))
                    continue
                case .readOnly:
                    break
                }
            }
            if let locked, updated.environment(requirements: locked.requirements, python: locked.python) == nil {
                updated.environments.append(locked)
            }
            result.cells[cell.id.value] = Assignment(requirements: requirements, base: base, locked: locked)
        }
        if let first = problems.first {
            throw EnvironmentError(problems.flatMap(\.diagnostics), source: first.source)
        }
        if mode != .readOnly, updated != existing {
            result.changes = Self.describe(from: existing, to: updated)
            try AtomicFile.write(updated.encoded, to: result.lockURL)
        }
        return result
    }

    /// The interpreter a block's environment is made from: the cell's Python,
    /// or `pythonX.Y` on PATH when the block asks for another version.
    static func base(for cell: CodeCell, requirements: PythonRequirements, interpreters: InterpreterResolver) throws -> BasePython {
        func probe(_ argv: [String]?) throws -> BasePython {
            guard let python = try interpreters.resolve(language: .python, interpreter: argv).python else {
                throw InterpreterResolver.Failure(description: "not a Python interpreter")
            }
            return python
        }
        let found = try probe(cell.interpreter)
        guard let wanted = requirements.version, !matches(found.version, wanted.value) else { return found }
        if let other = try? probe(["python\(minorVersion(wanted.value))"]), matches(other.version, wanted.value) { return other }
        throw EnvironmentError([Diagnostic(.installFailed, "this block needs Python \(wanted.value), but \(found.executable) is "
                                           + "\(found.version) and there is no python\(minorVersion(wanted.value)) on PATH", at: wanted.range,
                                           notes: [Diagnostic.Note("install Python \(wanted.value) (uv python install \(wanted.value)) "
                                                                   + "and put it on PATH, or change 'version'")])],
                               source: requirements.source)
    }

    /// `3.11.7` satisfies `3.11` and `3.11.7`.
    static func matches(_ version: String, _ wanted: String) -> Bool {
        version == wanted || version.hasPrefix(wanted + ".")
    }

    static func staleLock(_ requirements: PythonRequirements, lockPath: String, notebookPath: String) -> Diagnostic {
        Diagnostic(.lockOutOfDate, "\(lockPath) does not lock these requirements (they changed since it was written)",
                   at: requirements.blockRange,
                   notes: [Diagnostic.Note("update the lock, review it and commit it:", snippet: "splitbook lock \(notebookPath)")])
    }

    /// What changed, per block: "locked numpy>=2 for Python 3.11: 3 packages", or
    /// for a block whose requirements or pins changed, "relocked ...: numpy 2.1.0 -> 2.2.1".
    static func describe(from old: LockFile, to new: LockFile) -> [String] {
        var lines: [String] = []
        let replaced = old.environments.filter { !new.environments.contains($0) }
        for (index, env) in new.environments.enumerated() where !old.environments.contains(env) {
            let what = env.requirements.isEmpty ? "no requirements" : env.requirements.joined(separator: ", ")
            // The block it replaces: same requirements (upgraded), else the one at its place.
            let before = replaced.first { $0.requirements == env.requirements }
                ?? (index < old.environments.count && replaced.contains(old.environments[index]) ? old.environments[index] : nil)
            guard let before else {
                lines.append("locked \(what) for Python \(env.python): \(env.packages.count) package\(env.packages.count == 1 ? "" : "s")")
                continue
            }
            let was = Dictionary(before.packages.map { ($0.name, $0.version) }, uniquingKeysWith: { a, _ in a })
            let now = Set(env.packages.map(\.name))
            var changed = env.packages.filter { was[$0.name] != $0.version }.map { "\($0.name) \(was[$0.name] ?? "added") -> \($0.version)" }
            changed += before.packages.filter { !now.contains($0.name) }.map { "\($0.name) \($0.version) removed" }
            lines.append("relocked \(what): " + (changed.isEmpty ? "same packages" : changed.joined(separator: ", ")))
        }
        let dropped = old.environments.count - new.environments.count
        if dropped > 0 { lines.append("removed \(dropped) environment\(dropped == 1 ? "" : "s") no cell uses") }
        return lines
    }

    /// The environment a cell runs in, if it has a `python:` block.
    public func assignment(for cell: CellID) -> Assignment? { cells[cell] }
}
