import Foundation
import SplitbookSpec

/// One cell, ready to run: everything its step key was computed from.
public struct CellJob: Sendable {
    /// Where a declared input comes from.
    public enum Input: Sendable {
        /// Another cell's output, from the store.
        case stored(StoredItem)
        /// A file or directory under the notebook's directory, with its digest.
        case source(path: String, digest: Digest)
    }

    public var notebook: String
    public var cell: CodeCell
    public var key: StepKey
    public var interpreter: InterpreterResolver.Resolved
    public var script: Data
    public var params: [String: JSONValue]
    public var env: [String: String]
    public var secrets: [String: String]
    public var inputs: [(path: RelativePath, source: Input)]
    public var runID: String
    /// The notebook-wide latency budget (online cells).
    public var notebookBudgetMs: Double?
    /// The locked environment a Python cell runs in (its `interpreter.command` is that environment's Python).
    public var environment: EnvironmentRequest?
    /// Called with ("stdout" or "stderr", line) while the cell runs (`--verbose`).
    public var liveOutput: (@Sendable (String, String) -> Void)?
}

/// A locked environment a job needs built before it can start.
public struct EnvironmentRequest: Sendable {
    public var locked: LockedEnvironment
    public var base: BasePython
    public var store: EnvironmentStore

    /// Builds the environment unless it is built already (concurrent callers build it once).
    public func prepare() throws { _ = try store.ensure(locked, base: base) }
}

/// How running a cell ended.
public enum CellOutcome: Sendable {
    case succeeded(CacheEntry)
    case failed(CellFailure)
    /// Another run sharing the workspace executed the same key meanwhile (`SharedExecutions`).
    case shared(CacheEntry)
}

/// Why a cell failed, with what it printed.
public struct CellFailure: Sendable, Error {
    public var message: String
    public var stdout: Digest?
    public var stderr: Digest?
    public var duration: Double
    public var warnings: [String]
    /// The cell's working directory, kept for inspection.
    public var keptDirectory: String?
    public var interrupted = false
}

/// Runs one cell hermetically (CONTRACT §2): a fresh directory holding
/// exactly its declared inputs, a controlled environment, then checks of what
/// it did (outputs present, inputs untouched, nothing undeclared kept) and the
/// outputs moved into the content store.
public struct CellExecutor: Sendable {
    public let workspace: Workspace
    /// The caller's environment: PATH, HOME and LANG pass through, and secrets are read from it.
    public let callerEnvironment: [String: String]
    /// The directories `run` uses; `slots.removeAll()` when the run is over.
    public let slots: ScratchSlots

    public init(workspace: Workspace, callerEnvironment: [String: String]) {
        self.workspace = workspace
        self.callerEnvironment = callerEnvironment
        self.slots = ScratchSlots(store: workspace.store)
    }

    /// Makes a fresh cell directory: `base` with empty `work/` and `display/`.
    static func makeScratch(_ base: String) throws(FileSystemError) {
        for dir in [base, base + "/work", base + "/display"] where mkdir(dir, 0o755) != 0 { throw FileSystemError("create directory", dir) }
    }

    public func run(_ job: CellJob) -> CellOutcome {
        let start = Date()
        let id = job.cell.id.value.rawValue
        let base: String
        do {
            base = try slots.acquire()
        } catch {
            return .failed(CellFailure(message: "cannot prepare the cell's directory: \(error)", duration: 0, warnings: []))
        }
        // Files whose content is known (checked input copies, the script) may
        // be reused; anything else a cell leaves (it may hold a secret) is deleted.
        var reusable: [String: FileIdentity] = [:]
        defer { slots.release(base, reusable: reusable) }
        let work = base + "/work"
        let mask = SecretMask(values: Array(job.secrets.values))
        func fail(_ message: String, stdout: Digest? = nil, stderr: Digest? = nil, warnings: [String] = [],
                  keep: Bool = false, interrupted: Bool = false) -> CellOutcome {
            var kept: String?
            if keep {
                let target = workspace.meta.appendingPathComponent("failed/\(job.notebook)/\(id)").path
                workspace.store.removeItem(target)
                try? AtomicFile.makeDirectory((target as NSString).deletingLastPathComponent)
                if rename(work, target) == 0 { kept = target }
            }
            return .failed(CellFailure(message: message, stdout: stdout, stderr: stderr, duration: Date().timeIntervalSince(start),
                                       warnings: warnings, keptDirectory: kept, interrupted: interrupted))
        }

        // 1. The cell's world: its inputs and nothing else.
        var placed: PlacedInputs
        var scriptIdentity: FileIdentity?
        do {
            placed = try prepare(job, base: base, work: work)
            scriptIdentity = FileIdentity.of(scriptPath(base, job))
        } catch {
            return fail("cannot prepare the cell's directory: \(error)")
        }

        // 2. Run it (in its environment, built now if this is its first use).
        if let environment = job.environment {
            do {
                try environment.prepare()
            } catch {
                return fail("cannot build the Python environment of cell '\(id)': \(error)", interrupted: ProcessGroups.shared.isInterrupted)
            }
        }
        placed.settle()
        let follower = job.liveOutput.map { LogFollower(stdout: base + "/stdout", stderr: base + "/stderr", mask: mask, emit: $0) }
        follower?.start()
        let termination = Subprocess.run(Subprocess.Request(
            argv: job.interpreter.command + [scriptPath(base, job)],
            environment: environment(for: job, base: base),
            directory: work, stdoutPath: base + "/stdout", stderrPath: base + "/stderr",
            timeout: job.cell.timeout))
        follower?.stop()
        let stdout = storeLog(base + "/stdout", mask: mask)
        let stderr = storeLog(base + "/stderr", mask: mask)
        switch termination {
        case .exited(0):
            break
        case .exited(let code):
            return fail("cell '\(id)' exited with status \(code)", stdout: stdout, stderr: stderr, keep: true)
        case .signaled(let signal):
            return fail("cell '\(id)' was killed by signal \(signal)", stdout: stdout, stderr: stderr, keep: true)
        case .timedOut(let seconds):
            return fail("cell '\(id)' timed out after \(Self.seconds(seconds)) s; its processes were killed", stdout: stdout, stderr: stderr)
        case .interrupted:
            return fail("cell '\(id)' was interrupted", stdout: stdout, stderr: stderr, interrupted: true)
        case .failedToStart(let reason):
            return fail("cell '\(id)' could not start: \(reason)", stdout: stdout, stderr: stderr)
        }

        // 3. Check what it did.
        if let rel = placed.firstModified(work: work, io: workspace.store.io) {
            return fail("cell '\(id)' modified its input '\(rel)' in place; inputs are read-only: write a new output instead",
                        stdout: stdout, stderr: stderr, keep: true)
        }
        for output in job.cell.outputs where FileIdentity.of(work + "/" + output.value.rawValue) == nil {
            return fail("cell '\(id)' exited 0 but did not write its declared output '\(output.value)'",
                        stdout: stdout, stderr: stderr, keep: true)
        }
        var warnings = undeclaredFiles(in: work, job: job).map {
            "cell '\(id)' wrote '\($0)', which is not a declared output; it was not kept (add it to 'outputs' to keep it)"
        }

        reusable = placed.untouchedFiles
        if let script = scriptIdentity, FileIdentity.of(scriptPath(base, job)) == script { reusable[scriptPath(base, job)] = script }

        // 4. Keep the results.
        var outputs: [String: StoredItem] = [:]
        var display: [DisplayItem] = []
        var metrics: [String: Double] = [:]
        if workspace.store.hasReflinks {
            for output in job.cell.outputs { FileCopy.startWriteback(work + "/" + output.value.rawValue) }
        }
        do {
            for output in job.cell.outputs {
                outputs[output.value.rawValue] = try workspace.store.put(work + "/" + output.value.rawValue, hasher: workspace.hasher, move: true)
                workspace.hasher.forget(under: work + "/" + output.value.rawValue)
            }
            let displayDir = base + "/display"
            for name in FileTree.names(in: displayDir)?.sorted() ?? [] {
                let path = displayDir + "/" + name
                guard FileIdentity.of(path)?.kind == .file else { continue }
                let digest = try FileHasher.hashFile(path, io: workspace.store.io)
                try workspace.store.putFile(path, digest: digest, move: true)
                display.append(DisplayItem(name: name, digest: digest))
            }
        } catch {
            return fail("cannot store the outputs of cell '\(id)': \(error)", stdout: stdout, stderr: stderr)
        }
        if let data = FileManager.default.contents(atPath: base + "/metrics.json"), !data.isEmpty {
            if let object = try? JSONDecoder().decode([String: MetricValue].self, from: data) {
                for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                    if let number = value.number {
                        metrics[name] = number
                    } else {
                        warnings.append("cell '\(id)': metric '\(name)' is not a number; ignored")
                    }
                }
            } else {
                warnings.append("cell '\(id)': SPLITBOOK_METRICS does not hold a JSON object of numbers; ignored")
            }
        }
        let entry = CacheEntry(key: job.key.digest, notebook: job.notebook, cell: id, components: job.key, outputs: outputs,
                               stdout: stdout ?? Digest.of(""), stderr: stderr ?? Digest.of(""), display: display, metrics: metrics,
                               warnings: warnings, duration: Date().timeIntervalSince(start), runID: job.runID, createdAt: Date())
        return .succeeded(entry)
    }

    /// Makes the empty `work` (see `makeScratch`) hold exactly the job's
    /// inputs, and writes the script, the params file and (for Python) the
    /// helper module beside it under `base`.
    func prepare(_ job: CellJob, base: String, work: String) throws -> PlacedInputs {
        var placed = PlacedInputs()
        let store = workspace.store
        for (path, source) in job.inputs {
            let target = work + "/" + path.rawValue
            switch source {
            case .stored(let item):
                try store.materialize(item, to: target, stage: .placement)
                placed.add(path: target, digest: item.digest, isTree: item.kind == .tree)
            case .source(let origin, let digest):
                try AtomicFile.makeDirectory((target as NSString).deletingLastPathComponent)
                let isTree = FileIdentity.of(origin)?.kind == .directory
                if isTree { try FileCopy.copyTree(from: origin, to: target, io: store.io, stage: .placement) } else {
                    try FileCopy.copy(from: origin, to: target, permissions: FileIdentity.of(origin)?.isExecutable == true ? 0o755 : 0o644,
                                      spares: store.spares, io: store.io, stage: .placement)
                }
                // The key was computed from the file as it was then; a copy of anything else must not run under it.
                let now = isTree ? try Tree.scan(origin, hasher: workspace.hasher).digest : try workspace.hasher.digest(ofFile: origin)
                guard now == digest else {
                    throw FileSystemError("place", origin, reason: "it changed while the run was using it; run again")
                }
                placed.add(path: target, digest: digest, isTree: isTree)
            }
        }
        // The scratch area is private to this run, so plain writes suffice (no staging and rename).
        try write(job.script, to: scriptPath(base, job))
        try write(Data(JSONValue.object(job.params).canonicalJSON.utf8), to: base + "/params.json", unlessEqual: true)
        if job.cell.language == .python {
            try AtomicFile.makeDirectory(base + "/lib")
            try write(Data(PythonHelper.source.utf8), to: base + "/lib/" + PythonHelper.fileName, unlessEqual: true)
        }
        return placed
    }

    /// Moves a captured log into the store (masked first when the cell has secrets).
    private func storeLog(_ path: String, mask: SecretMask) -> Digest? {
        if FileIdentity.of(path)?.size == 0 {  // the commonest log: nothing printed; the slot keeps the file
            return try? workspace.store.putData(Data())
        }
        if mask.secrets.isEmpty, let digest = try? FileHasher.hashFile(path), (try? workspace.store.putFile(path, digest: digest, move: true)) != nil {
            return digest
        }
        defer { truncate(path, 0) }  // the unmasked text goes now, not when the slot is reused
        return try? workspace.store.putData(mask.apply(FileManager.default.contents(atPath: path) ?? Data()))
    }

    /// Writes a scratch file in one step, over a spare when there is one: no
    /// staging, no fsync (the scratch area is private to this run and
    /// discarded after a crash). With `unlessEqual`, a file that already
    /// holds `data` is left alone (rewriting costs more than reading it).
    func write(_ data: Data, to path: String, unlessEqual: Bool = false) throws(FileSystemError) {
        if unlessEqual, let existing = FileBytes.read(path), existing.elementsEqual(data) { return }
        try FileWriter.write(data, to: path, spares: workspace.store.spares)
    }

    func scriptPath(_ base: String, _ job: CellJob) -> String {
        "\(base)/\(job.cell.id.value).\(job.cell.language.scriptExtension)"
    }

    func environment(for job: CellJob, base: String) -> [String: String] {
        var env: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG"] { env[name] = callerEnvironment[name] }
        env["PATH"] = env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        env["TMPDIR"] = base  // removed with the rest of the scratch area
        if job.cell.language == .python {
            env["PYTHONPATH"] = base + "/lib"
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        }
        env.merge(job.env) { $1 }
        env.merge(job.secrets) { $1 }
        for (name, value) in job.params { env["PARAM_" + name.uppercased()] = value.environmentText }
        env["SPLITBOOK_PARAMS"] = base + "/params.json"
        env["SPLITBOOK_NOTEBOOK"] = job.notebook
        env["SPLITBOOK_CELL"] = job.cell.id.value.rawValue
        env["SPLITBOOK_DISPLAY"] = base + "/display"
        env["SPLITBOOK_METRICS"] = base + "/metrics.json"
        return env
    }

    /// Files under `work` that are neither inputs nor declared outputs (nor inside them).
    private func undeclaredFiles(in work: String, job: CellJob) -> [String] {
        let declared = Set(job.inputs.map(\.path.rawValue) + job.cell.outputs.map(\.value.rawValue))
        var found: [String] = []
        func walk(_ relative: String) {
            let dir = relative.isEmpty ? work : work + "/" + relative
            for name in (FileTree.names(in: dir) ?? []).sorted() {
                let rel = relative.isEmpty ? name : relative + "/" + name
                if declared.contains(rel) { continue }
                let isDir = FileIdentity.of(work + "/" + rel)?.kind == .directory
                if isDir, declared.contains(where: { $0.hasPrefix(rel + "/") }) {
                    walk(rel)
                } else {
                    found.append(isDir ? rel + "/" : rel)
                }
            }
        }
        walk("")
        return found
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// A metric value as written by a cell: a number, or anything else (ignored with a warning).
private struct MetricValue: Decodable {
    let number: Double?
    init(from decoder: Decoder) throws {
        number = try? decoder.singleValueContainer().decode(Double.self)
    }
}
