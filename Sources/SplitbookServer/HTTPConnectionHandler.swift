import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection of `splitbook serve`, on its event loop: collects
/// each request (dropping a body past `maxBody` as it arrives), hands it to
/// the application and writes the answers in the order the requests came.
/// Pipelined requests wait in a short queue (reading pauses when it is full),
/// so the socket's read interest is never toggled per request, as NIO's
/// pipelining handler does (two `epoll_ctl` calls each). A request llhttp
/// refuses is answered 400, after the answers before it, and the connection
/// closed. A connection that sends nothing for `serve`'s idle timeout is
/// closed unless it waits for an answer, so silent clients cannot pile up.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Whole requests waiting behind the one being answered, at most; reading pauses beyond.
    static let queueLimit = 16

    private let application: ServingApplication
    private let maxBody: Int
    /// The request being read.
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Whole requests read, not yet answered, oldest first (the first is being answered when `answering`).
    private var queue = CircularBuffer<(head: HTTPRequestHead, request: ServedRequest)>()
    private var answering = false
    /// Why the connection closes once the requests already read are answered: a stop, or a parse error (answered 400 last).
    private enum Closing { case stop, badRequest }
    private var closing: Closing?
    private var readingPaused = false

    init(application: ServingApplication, maxBody: Int) {
        self.application = application
        self.maxBody = maxBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // Closing: nothing after a parse error, and after a stop only the rest of the request being read.
        if let closing, closing == .badRequest || head == nil { return }
        switch part {
        case .head(let head):
            self.head = head
            let declared = head.headers.first(name: "content-length").flatMap(Int.init) ?? 0
            body = declared > maxBody ? nil : context.channel.allocator.buffer(capacity: declared)
            // Only when nothing is being answered: an interim answer must not land inside another request's.
            if body != nil, queue.isEmpty, head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body(var chunk):
            guard body != nil else { return }
            if body!.readableBytes + chunk.readableBytes > maxBody {
                body = nil
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            queue.append((head, ServedRequest(method: head.method, uri: head.uri, body: body, id: RequestID.of(head.headers))))
            body = nil
            if queue.count > Self.queueLimit, !readingPaused {
                readingPaused = true
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
            answerNext(context: context)
        }
    }

    /// Starts answering the oldest request, unless one is being answered.
    private func answerNext(context: ChannelHandlerContext) {
        guard !answering, let (head, request) = queue.first else { return }
        answering = true
        application.handle(request, on: context.eventLoop).assumeIsolated().whenSuccess { response in
            self.write(response, for: head, id: request.id, context: context)
        }
    }

    private func write(_ response: ServedResponse, for request: HTTPRequestHead, id: String, context: ChannelHandlerContext) {
        _ = queue.removeFirst()
        answering = false
        // The last answer on this connection: the client asked to close, or a stop or parse error has nothing left before it.
        let last = !request.isKeepAlive || (closing != nil && queue.isEmpty && head == nil)
        var headers = response.headers
        headers.add(name: RequestID.header, value: id)
        headers.add(name: "content-length", value: String(response.body.readableBytes))
        if last {
            headers.add(name: "connection", value: "close")
        } else if request.version.major == 1, request.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        guard last else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if readingPaused, queue.count <= Self.queueLimit / 2 {
                readingPaused = false
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                context.read()
            }
            answerNext(context: context)
            return
        }
        queue.removeAll()
        closeAfter(context.write(wrapOutboundOut(.end(nil))), badRequest: closing == .badRequest && request.isKeepAlive, context: context)
    }

    /// Closes once `written` is (after a 400 for a parse error, when `badRequest`).
    private func closeAfter(_ written: EventLoopFuture<Void>?, badRequest: Bool, context: ChannelHandlerContext) {
        var done = written
        if badRequest {
            let headers = HTTPHeaders([("connection", "close"), ("content-length", "0")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            done = context.write(wrapOutboundOut(.end(nil)))
        }
        context.flush()
        guard let done else { return context.close(promise: nil) }
        done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// What llhttp refuses gets a 400 after the answers to the requests before it; any other error closes at once.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, closing == nil else {
            context.close(promise: nil)
            return
        }
        closing = .badRequest
        head = nil
        if queue.isEmpty { closeAfter(nil, badRequest: true, context: context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is IdleStateHandler.IdleStateEvent:
            if !answering { context.close(promise: nil) }
        case is ChannelShouldQuiesceEvent:
            // A stop: finish the requests already read, then close.
            guard closing == nil else { return }
            closing = .stop
            if queue.isEmpty, head == nil { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }
}
