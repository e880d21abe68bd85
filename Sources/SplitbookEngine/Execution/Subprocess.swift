import CSplitbookSystem
import Foundation

/// Runs one command under a supervisor that leads its own process group (see
/// `splitbook_spawn`), so that a timeout or an interrupt can kill it together
/// with everything it started, and so that the group dies with us even when
/// we are killed with SIGKILL. stdout and stderr go straight to files
/// (nothing to drain, nothing lost if we are killed ourselves).
public enum Subprocess {
    /// How a process ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut(seconds: Double)
        case interrupted
        case failedToStart(String)

        public var succeeded: Bool { self == .exited(0) }
    }

    public struct Request: Sendable {
        public var argv: [String]
        public var environment: [String: String]
        public var directory: String
        public var stdoutPath: String
        public var stderrPath: String
        public var timeout: Double?
    }

    /// Runs `request` to completion (or timeout, or interrupt) and reports how it ended.
    public static func run(_ request: Request) -> Termination {
        let out = open(request.stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(request.stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer {
            if out >= 0 { close(out) }
            if err >= 0 { close(err) }
        }
        guard out >= 0, err >= 0 else { return .failedToStart("cannot open log files: \(String(cString: strerror(errno)))") }
        let pid: pid_t
        switch spawn(request.argv, environment: request.environment, directory: request.directory, stdin: -1, stdout: out, stderr: err) {
        case .success(let started): pid = started.pid
        case .failure(let failure): return failure.interrupted ? .interrupted : .failedToStart(failure.description)
        }

        let timedOut = ManagedFlag()
        var timer: DispatchSourceTimer?
        if let timeout = request.timeout {
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + timeout)
            source.setEventHandler {
                timedOut.set()
                killpg(pid, SIGTERM)
                DispatchQueue.global().asyncAfter(deadline: .now() + 2) { killpg(pid, SIGKILL) }
            }
            source.resume()
            timer = source
        }
        let status = reap(pid)
        timer?.cancel()

        if timedOut.isSet, let timeout = request.timeout { return .timedOut(seconds: timeout) }
        if ProcessGroups.shared.isInterrupted { return .interrupted }
        let low = status & 0x7F
        if low == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(low)
    }

    /// A started supervisor: its pid (also its group's id) and, when asked
    /// for, a descriptor that reaches end of file when it exits.
    struct Started {
        var pid: pid_t
        var exitDescriptor: Int32
    }

    /// Why `spawn` started nothing.
    struct SpawnFailure: Error, CustomStringConvertible {
        var description: String
        /// The run was interrupted before the command could start.
        var interrupted = false
    }

    /// Starts `argv` under a supervisor (see `splitbook_spawn`) with stdin from
    /// `stdin` (-1: /dev/null), and registers its group with `ProcessGroups`.
    /// The caller must `reap` the pid (and close `exitDescriptor` if it asked for one).
    static func spawn(_ argv: [String], environment: [String: String], directory: String, stdin: Int32, stdout: Int32, stderr: Int32,
                      wantsExitDescriptor: Bool = false) -> Result<Started, SpawnFailure> {
        guard let name = argv.first else { return .failure(SpawnFailure(description: "empty command")) }
        guard !ProcessGroups.shared.isInterrupted else { return .failure(SpawnFailure(description: "interrupted", interrupted: true)) }
        // The supervisor's child runs execve, which does not search PATH.
        guard let program = InterpreterResolver.which(name, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            return .failure(SpawnFailure(description: "cannot start '\(name)': \(String(cString: strerror(ENOENT)))"))
        }
        let cArgv = [strdup(program)] + argv.dropFirst().map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var exitDescriptor: Int32 = -1
        var step: Int32 = 0
        let pid = wantsExitDescriptor
            ? splitbook_spawn(program, cArgv, cEnv, directory, stdin, stdout, stderr, &exitDescriptor, &step)
            : splitbook_spawn(program, cArgv, cEnv, directory, stdin, stdout, stderr, nil, &step)
        guard pid > 0 else {
            let reason = String(cString: strerror(errno))
            return .failure(SpawnFailure(description: step == Int32(SPLITBOOK_SPAWN_CHDIR.rawValue)
                ? "cannot enter '\(directory)': \(reason)" : "cannot start '\(name)': \(reason)"))
        }
        ProcessGroups.shared.started(pid)
        return .success(Started(pid: pid, exitDescriptor: exitDescriptor))
    }

    /// Waits for a supervisor to exit, kills whatever its command left running
    /// in the group, then reaps it, and returns its wait status. Reaping comes
    /// last so that the group's id cannot be reused while it is being killed.
    static func reap(_ pid: pid_t) -> Int32 {
        _ = splitbook_await_exit(pid, 1)
        killpg(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        ProcessGroups.shared.finished(pid)
        return status
    }
}

/// The process groups of running cells, so an interrupt can stop them all.
public final class ProcessGroups: @unchecked Sendable {
    public static let shared = ProcessGroups()
    private let lock = NSLock()
    private var groups = Set<pid_t>()
    private var interrupted = false

    /// Records a started group; one that started while an interrupt was being handled is stopped like the others.
    func started(_ pid: pid_t) {
        let late = lock.withLock {
            groups.insert(pid)
            return interrupted
        }
        if late { stop([pid]) }
    }

    func finished(_ pid: pid_t) { _ = lock.withLock { groups.remove(pid) } }

    public var isInterrupted: Bool { lock.withLock { interrupted } }

    /// Stops every running cell: SIGTERM to each group now, SIGKILL after a grace period.
    public func interruptAll() {
        stop(lock.withLock {
            interrupted = true
            return groups
        })
    }

    private func stop(_ running: Set<pid_t>) {
        for pid in running { killpg(pid, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
            for pid in lock.withLock({ groups.intersection(running) }) { killpg(pid, SIGKILL) }
        }
    }
}

/// A thread-safe flag that is set once.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
