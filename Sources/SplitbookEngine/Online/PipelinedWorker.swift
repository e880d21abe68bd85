import Foundation
import NIOCore
import NIOPosix
import SplitbookSpec

/// A long-lived Python worker's pipes as a channel on an event loop: requests
/// go out tagged with ids, several in flight, and answers are matched back by
/// id. Requests submitted in the same turn of the loop go out in one write
/// (and NIO gathers those queued behind a pending write). Its state is only
/// touched on its event loop.
///
/// A request past its deadline ends the worker: the others in flight fail
/// with `.replaced`. The worker's exit or a line outside the protocol ends it
/// too: every request in flight fails with `.crashed`. Ending closes the
/// channel; killing and reaping the process is its owner's `stop()`, off the
/// request path.
final class PipelinedWorker: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Failure = OnlineWorker.Failure

    let eventLoop: any EventLoop
    private let onBatch: (@Sendable (Int) -> Void)?
    private var channel: (any Channel)?
    private var nextID: UInt64 = 0
    private var waiting: [UInt64: (promise: EventLoopPromise<ByteBuffer>, deadline: NIODeadline, timeout: Double)] = [:]
    /// One timer, for the earliest deadline in flight (not one per request).
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?
    private var outgoing = ByteBuffer()
    private var flushScheduled = false
    private var received = ByteBuffer()
    private var ended: Failure?

    /// Takes over the worker's pipes (`ChildProcess.detachPipes`); they are closed even when this throws.
    init(pipes: (input: Int32, output: Int32), on eventLoop: any EventLoop, onBatch: (@Sendable (Int) -> Void)?) throws {
        self.eventLoop = eventLoop
        self.onBatch = onBatch
        do {
            _ = try NIOPipeBootstrap(group: eventLoop)
                .channelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(self) }
                }
                .takingOwnershipOfDescriptors(input: pipes.output, output: pipes.input).wait()
        } catch {
            close(pipes.input)
            close(pipes.output)
            throw error
        }
    }

    /// Sends `request`; the future holds the worker's answer line, or fails with a `Failure`.
    func call(_ request: JSONValue, timeout: Double) -> EventLoopFuture<ByteBuffer> {
        let body = request.canonicalJSON
        if eventLoop.inEventLoop { return submit(body, timeout: timeout) }
        return eventLoop.flatSubmit { self.submit(body, timeout: timeout) }
    }

    /// Ends the worker (its owner stops the process).
    func stop() {
        eventLoop.execute { self.end(Failure(description: "the worker was stopped", kind: .crashed)) }
    }

    private func submit(_ body: String, timeout: Double) -> EventLoopFuture<ByteBuffer> {
        if let ended { return eventLoop.makeFailedFuture(ended) }
        nextID += 1
        let id = nextID
        PythonWorkerDriver.writeRequest(id: id, json: body, into: &outgoing)
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1e9))
        waiting[id] = (promise, deadline, timeout)
        arm(for: deadline)
        if !flushScheduled {
            flushScheduled = true
            eventLoop.execute { self.flush() }
        }
        return promise.futureResult
    }

    /// Writes every request submitted since the last flush, at once.
    private func flush() {
        flushScheduled = false
        guard let channel, ended == nil, outgoing.readableBytes > 0 else { return }
        channel.writeAndFlush(outgoing, promise: nil)
        outgoing = channel.allocator.buffer(capacity: 0)
    }

    /// Makes the timer fire by `deadline` (requests share one timeout, so
    /// later requests have later deadlines and rarely move it).
    private func arm(for deadline: NIODeadline) {
        if let timer, timer.deadline <= deadline { return }
        timer?.task.cancel()
        timer = (deadline, eventLoop.scheduleTask(deadline: deadline) { self.expire() })
    }

    /// Fails a request past its deadline (ending the worker), or re-arms for the earliest one left.
    private func expire() {
        timer = nil
        let now = NIODeadline.now()
        guard let (id, late) = waiting.first(where: { $0.value.deadline <= now }) else {
            if let earliest = waiting.values.map(\.deadline).min() { arm(for: earliest) }
            return
        }
        waiting[id] = nil
        late.promise.fail(Failure(description: "no response within \(CellExecutor.seconds(late.timeout)) s", kind: .timeout))
        end(Failure(description: "another request on its worker timed out and the worker is being replaced", kind: .replaced))
    }

    /// Fails every request in flight with `failure`, and every later one; closes the channel.
    private func end(_ failure: Failure) {
        guard ended == nil else { return }
        ended = failure
        let pending = waiting
        waiting = [:]
        timer?.task.cancel()
        timer = nil
        for (_, entry) in pending { entry.promise.fail(failure) }
        channel?.close(promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        while ended == nil, let newline = received.readableBytesView.firstIndex(of: 0x0A) {
            let length = received.readableBytesView.distance(from: received.readableBytesView.startIndex, to: newline)
            let line = received.readSlice(length: length)!
            received.moveReaderIndex(forwardBy: 1)
            answer(line)
        }
        if received.readableBytes > OnlineWorker.responseLimit {
            end(Failure(description: "the worker wrote a response of more than \(OnlineWorker.responseLimit >> 20) MiB", kind: .crashed))
        }
        received.discardReadBytes()
    }

    private func answer(_ line: ByteBuffer) {
        switch PythonWorkerDriver.reply(line.readableBytesView) {
        case .answer(let id):
            waiting.removeValue(forKey: id)?.promise.succeed(line)
        case .batch(let size):
            onBatch?(size)
        case .invalid:
            end(Failure(description: "the worker wrote something outside the protocol: \(String(buffer: line).prefix(200))", kind: .crashed))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(Failure(description: "the worker process exited", kind: .crashed))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(Failure(description: "the worker's pipes failed: \(error)", kind: .crashed))
    }
}
