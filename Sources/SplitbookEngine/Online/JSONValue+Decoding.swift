import Foundation
import NIOCore
import SplitbookSpec

extension JSONValue {
    /// Parses JSON text (a request body, a worker's answer, a file); nil when it is not JSON.
    public static func parseJSON(_ text: some DataProtocol) -> JSONValue? {
        JSONReader.parse(Array(text))
    }

    /// Parses the readable bytes of `buffer` as JSON; nil when they are not JSON.
    public static func parseJSON(_ buffer: ByteBuffer) -> JSONValue? {
        JSONReader.parse(Array(buffer.readableBytesView))
    }
}
