import CofferS3
import Hummingbird
import NIOCore

/// The per-request context Hummingbird hands the responder: the core storage plus the peer
/// address (for `aws:SourceIp` and the request log).
public struct FrontDoorContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    public var sourceIP: String? { remoteAddress?.ipAddress }
}
