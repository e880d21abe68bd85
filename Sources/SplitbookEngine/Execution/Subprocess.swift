import CSplitbookSystem
import Foundation

/// Runs one command as the leader of its own process group, so that a
/// timeout or an interrupt can kill it together with everything it started.
/// stdout and stderr go straight to files (nothing to drain, nothing lost if
/// we are killed ourselves).
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
        let argv = request.argv.map { strdup($0) } + [nil]
        let envp = request.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        guard let program = request.argv.first else { return .failedToStart("empty command") }
        let pid = ProcessGroups.shared.spawn {
            splitbook_spawn(program, argv, envp, request.directory, out, err)
        }
        guard pid > 0 else { return .failedToStart("cannot start '\(program)': \(String(cString: strerror(errno)))") }

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
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        timer?.cancel()
        // Whatever the cell left running in its group goes with it.
        killpg(pid, SIGKILL)
        ProcessGroups.shared.finished(pid)

        if timedOut.isSet, let timeout = request.timeout { return .timedOut(seconds: timeout) }
        if ProcessGroups.shared.isInterrupted { return .interrupted }
        let low = status & 0x7F
        if low == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(low)
    }
}

/// The process groups of running cells, so an interrupt can stop them all.
public final class ProcessGroups: @unchecked Sendable {
    public static let shared = ProcessGroups()
    private let lock = NSLock()
    private var groups = Set<pid_t>()
    private var interrupted = false

    func spawn(_ start: () -> pid_t) -> pid_t {
        lock.withLock {
            guard !interrupted else { return -1 }
            let pid = start()
            if pid > 0 { groups.insert(pid) }
            return pid
        }
    }

    func finished(_ pid: pid_t) { _ = lock.withLock { groups.remove(pid) } }

    public var isInterrupted: Bool { lock.withLock { interrupted } }

    /// Stops every running cell: SIGTERM to each group now, SIGKILL after a grace period.
    public func interruptAll() {
        let running: Set<pid_t> = lock.withLock {
            interrupted = true
            return groups
        }
        for pid in running { killpg(pid, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
            for pid in lock.withLock({ groups }) { killpg(pid, SIGKILL) }
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
