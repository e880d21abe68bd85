import Foundation
import SplitbookSpec

extension JSONValue {
    /// Parses JSON text (a worker's response); nil when it is not JSON.
    public static func parseJSON(_ text: some DataProtocol) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text))
    }
}
