import CSplitbookSystem
import Foundation

/// A command under a supervisor (see `Subprocess.spawn`) with a pipe to its
/// stdin and one from its stdout, driven with poll(2) on the calling thread:
/// no helper threads, every wait bounded by a deadline, and `stop()` (also on
/// deinit) kills and reaps its whole process group and closes every descriptor.
///
/// We keep a copy of the read end of its stdin: writing then never fails with
/// EPIPE (nor raises SIGPIPE) when it exits without reading, and what it left
/// unread can be counted (`unreadInput`) whatever the timing.
final class ChildProcess {
    /// What `exchange` waits for.
    enum Goal {
        /// A whole line on stdout; stdin stays open for the next request.
        case line
        /// The end of stdout; stdin is closed once everything sent was written.
        case endOfOutput
    }

    /// Why `exchange` returned.
    enum Ending { case line, endOfOutput, deadline, overLimit }

    /// The supervisor's pid, which is also the group's id.
    let pid: pid_t
    private var input: Int32
    private var inputReadEnd: Int32
    private var output: Int32
    private var exitDescriptor: Int32
    private var pending: ArraySlice<UInt8> = []
    /// What it wrote to stdout that no caller has taken yet.
    private(set) var received: [UInt8] = []
    /// How much of `received` holds no newline.
    private var scanned = 0
    private var reaped = false

    private init(pid: pid_t, input: Int32, inputReadEnd: Int32, output: Int32, exitDescriptor: Int32) {
        self.pid = pid
        self.input = input
        self.inputReadEnd = inputReadEnd
        self.output = output
        self.exitDescriptor = exitDescriptor
    }

    /// Starts `argv` with its stderr appended to `stderrPath`, or else to our
    /// own stderr (`/dev/stderr` cannot be opened when it is a socket).
    static func start(_ argv: [String], environment: [String: String], directory: String,
                      stderrPath: String) throws(Subprocess.SpawnFailure) -> ChildProcess {
        var stdin: [Int32] = [-1, -1], stdout: [Int32] = [-1, -1]
        var log = open(stderrPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if log < 0 { log = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0) }
        if log < 0 { log = open("/dev/null", O_WRONLY | O_CLOEXEC) }
        defer {
            // The child has its own copies of these.
            for fd in [log, stdout[1]] where fd >= 0 { close(fd) }
        }
        guard splitbook_pipe(&stdin) == 0 else { throw Subprocess.SpawnFailure(description: "cannot make a pipe: \(String(cString: strerror(errno)))") }
        guard splitbook_pipe(&stdout) == 0 else {
            let reason = String(cString: strerror(errno))
            stdin.forEach { close($0) }
            throw Subprocess.SpawnFailure(description: "cannot make a pipe: \(reason)")
        }
        switch Subprocess.spawn(argv, environment: environment, directory: directory, stdin: stdin[0], stdout: stdout[1], stderr: log,
                                wantsExitDescriptor: true) {
        case .failure(let failure):
            (stdin + [stdout[0]]).forEach { close($0) }
            throw failure
        case .success(let started):
            for fd in [stdin[1], stdout[0]] { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
            return ChildProcess(pid: started.pid, input: stdin[1], inputReadEnd: stdin[0], output: stdout[0],
                                exitDescriptor: started.exitDescriptor)
        }
    }

    /// Queues `bytes` for its stdin (written by `exchange`).
    func send(_ bytes: some Sequence<UInt8>) { pending.append(contentsOf: bytes) }

    /// Writes what was sent and reads stdout into `received` until `goal`,
    /// the end of stdout, `deadline`, or more than `limit` bytes received.
    func exchange(until deadline: DispatchTime, limit: Int, goal: Goal) -> Ending {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if goal == .line, received[scanned...].contains(0x0A) { return .line }
            scanned = received.count
            if received.count > limit { return .overLimit }
            if goal == .endOfOutput, pending.isEmpty { closeInput() }
            guard output >= 0 else { return .endOfOutput }
            var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
            if !pending.isEmpty, input >= 0 { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            guard let wait = Self.milliseconds(until: deadline) else { return .deadline }
            if poll(&fds, nfds_t(fds.count), wait) < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                closeOutput()
            }
            if fds.count > 1, fds[1].revents != 0 { writePending() }
            if fds[0].revents != 0 { readOutput(into: &chunk) }
        }
    }

    /// Removes the first line (and its newline) from `received`.
    func takeLine() -> [UInt8]? {
        guard let newline = received.firstIndex(of: 0x0A) else { return nil }
        let line = Array(received[..<newline])
        received.removeSubrange(...newline)
        scanned = 0
        return line
    }

    /// Hands its stdin's write end and its stdout's read end to the caller
    /// (an event loop's channel), which closes them from then on; `stop()`
    /// still kills and reaps the process and closes the other descriptors.
    func detachPipes() -> (input: Int32, output: Int32) {
        defer {
            input = -1
            output = -1
        }
        return (input, output)
    }

    /// Bytes sent that it did not read: still queued, or still in the pipe.
    var unreadInput: Int {
        var inPipe: Int32 = 0
        if inputReadEnd >= 0, ioctl(inputReadEnd, UInt(FIONREAD), &inPipe) != 0 { inPipe = 0 }
        return pending.count + Int(inPipe)
    }

    /// Waits (until `deadline`) for it to exit, then kills what it left in its
    /// group and reaps it. Returns its wait status, or nil when it was still
    /// running at the deadline (it is then killed).
    func finish(by deadline: DispatchTime) -> Int32? {
        while !reaped {
            var fd = pollfd(fd: exitDescriptor, events: Int16(POLLIN), revents: 0)
            guard let wait = Self.milliseconds(until: deadline) else { break }
            let ready = poll(&fd, 1, wait)
            guard ready != 0, ready > 0 || errno == EINTR else { break }
            guard ready > 0 else { continue }
            reaped = true
            return Subprocess.reap(pid)
        }
        stop()
        return nil
    }

    /// Kills its group (unless it was reaped already), reaps it and closes every descriptor; safe to call again.
    func stop() {
        if !reaped {
            reaped = true
            killpg(pid, SIGKILL)
            _ = Subprocess.reap(pid)
        }
        closeInput()
        closeOutput()
        for fd in [inputReadEnd, exitDescriptor] where fd >= 0 { close(fd) }
        inputReadEnd = -1
        exitDescriptor = -1
    }

    deinit { stop() }

    private func writePending() {
        let written = pending.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        if written > 0 {
            pending.removeFirst(written)
        } else if written < 0, errno != EAGAIN, errno != EINTR {
            closeInput()  // what is left counts as unread
        }
    }

    private func readOutput(into chunk: inout [UInt8]) {
        let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        if count > 0 {
            received.append(contentsOf: chunk[..<count])
        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
            closeOutput()
        }
    }

    private func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    private func closeOutput() {
        if output >= 0 { close(output) }
        output = -1
    }

    /// The poll(2) timeout that ends at `deadline`, rounded up; nil once it has passed.
    private static func milliseconds(until deadline: DispatchTime) -> Int32? {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now < deadline.uptimeNanoseconds else { return nil }
        return Int32(min((deadline.uptimeNanoseconds - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }
}
