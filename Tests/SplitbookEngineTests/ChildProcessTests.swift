import Foundation
@testable import SplitbookEngine
import SplitbookTestSupport
import Testing

@Suite("Supervised child processes")
struct ChildProcessTests {
    /// Hands a value from the thread that made it to the test.
    final class Box<Value>: @unchecked Sendable {
        var value: Value?
    }

    /// The kernel sends a child its parent-death signal when the *thread* that
    /// forked it exits. Serve starts workers on pool threads that come and go,
    /// so the supervisor must tell that apart from the death of the process.
    @Test func aChildOutlivesTheThreadThatStartedIt() throws {
        let started = Box<(ChildProcess, String)>()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let thread = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
            started.value = (try? ChildProcess.start(["cat"], environment: ["PATH": "/usr/bin:/bin"], directory: "/",
                                                     stderrPath: "/dev/null")).map { ($0, thread) }
            done.signal()
        }
        done.wait()
        let (child, thread) = try #require(started.value)
        defer { child.stop() }
        // The thread is reaped after the signal was sent; once nothing is
        // pending and the supervisor sleeps in waitpid again, it was handled.
        #expect(eventually { !FileManager.default.fileExists(atPath: "/proc/" + thread) }, "thread \(thread) did not end")
        #expect(eventually {
            let status = Processes.status(child.pid)
            return status["State"]?.hasPrefix("S") == true && status["SigPnd"]?.allSatisfy { $0 == "0" } == true
                && status["ShdPnd"]?.allSatisfy { $0 == "0" } == true
        })
        child.send("still here\n".utf8)
        #expect(child.exchange(until: .now() + 10, limit: 100, goal: .line) == .line)
        #expect(child.takeLine() == Array("still here".utf8))
    }
}
