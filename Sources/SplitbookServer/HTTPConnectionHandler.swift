import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection of `splitbook serve`, on its event loop: collects
/// each request (dropping a body past `maxBody` as it arrives), hands it to
/// the application and writes the answer. NIO's pipeline handler in front
/// keeps pipelined requests in order, one at a time; a parse error is
/// answered 400 by NIO's error handler and closes the connection. A
/// connection that sends nothing for `serve`'s idle timeout is closed unless
/// it waits for an answer, so silent clients cannot pile up.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let application: ServingApplication
    private let maxBody: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// A whole request was read and its answer is not written yet.
    private var answering = false

    init(application: ServingApplication, maxBody: Int) {
        self.application = application
        self.maxBody = maxBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            let declared = head.headers.first(name: "content-length").flatMap(Int.init) ?? 0
            body = declared > maxBody ? nil : context.channel.allocator.buffer(capacity: declared)
            if body != nil, head.headers.first(name: "expect")?.lowercased() == "100-continue" {
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
            let request = ServedRequest(method: head.method, uri: head.uri, body: body, id: RequestID.of(head.headers))
            body = nil
            answering = true
            application.handle(request, on: context.eventLoop).assumeIsolated().whenSuccess { response in
                self.write(response, for: head, id: request.id, context: context)
            }
        }
    }

    private func write(_ response: ServedResponse, for request: HTTPRequestHead, id: String, context: ChannelHandlerContext) {
        var headers = response.headers
        headers.add(name: RequestID.header, value: id)
        headers.add(name: "content-length", value: String(response.body.readableBytes))
        let keepAlive = request.isKeepAlive
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if request.version.major == 1, request.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        answering = false
        guard !keepAlive else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// A parse error (already answered 400 by NIO's handler) or a socket error ends the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if !answering { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
