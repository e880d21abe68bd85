import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The listening socket of `splitbook serve` and its connections, on the
/// same event loops as the Python workers' pipes: a request is parsed,
/// routed, sent to a worker and answered without leaving them (SwiftNIO's
/// HTTP/1.1 codec, no per-request task or thread hop).
public final class HTTPServer: Sendable {
    private let channel: any Channel
    private let connections: Connections

    /// The port it listens on (the one the system chose when asked for 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Binds `host:port` and starts accepting connections for `application`.
    public static func start(_ application: ServingApplication, host: String, port: Int) async throws -> HTTPServer {
        let maxBody = application.options.maxBody
        let idleTimeout = TimeAmount.nanoseconds(Int64(application.options.idleTimeout * 1e9))
        let connections = Connections()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    // Ordering pipelined requests and answering parse errors is HTTPConnectionHandler's.
                    // Our responses' headers are our own constants, lengths and sanitised request ids:
                    // NIO's validation of every outbound header cost 5% of the CPU.
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false,
                                                             withOutboundHeaderValidation: false)
                    try pipeline.addHandler(HTTPConnectionHandler(application: application, maxBody: maxBody))
                    connections.add(channel)
                }
            }
            .bind(host: host, port: port).get()
        return HTTPServer(channel: channel, connections: connections)
    }

    private init(channel: any Channel, connections: Connections) {
        self.channel = channel
        self.connections = connections
    }

    /// Stops accepting, lets every connection finish the request it is in
    /// (closing idle ones at once), and returns when all are closed.
    public func stop() async {
        try? await channel.close()
        await connections.quiesce()
    }
}

/// The open connections, so a stop can ask each to finish and close.
private final class Connections: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [ObjectIdentifier: any Channel] = [:]

    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        lock.withLock { open[key] = channel }
        channel.closeFuture.whenComplete { _ in self.lock.withLock { _ = self.open.removeValue(forKey: key) } }
    }

    /// NIO's HTTP pipeline handler closes a connection on this event as soon as its request in progress is answered.
    func quiesce() async {
        let channels = lock.withLock { Array(open.values) }
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        for channel in channels { try? await channel.closeFuture.get() }
    }
}
