import Foundation

/// Replaces secret values with `***` in captured output, so they never reach
/// the store, reports or history.
struct SecretMask: Sendable {
    let secrets: [Data]

    init(values: [String]) {
        // Longest first, so a secret containing another is masked whole.
        secrets = values.filter { !$0.isEmpty }.map { Data($0.utf8) }.sorted { $0.count > $1.count }
    }

    func apply(_ data: Data) -> Data {
        guard !secrets.isEmpty, !data.isEmpty else { return data }
        var out = data
        for secret in secrets {
            var result = Data()
            var searchStart = out.startIndex
            var found = false
            while let range = out.range(of: secret, in: searchStart..<out.endIndex) {
                found = true
                result.append(out[searchStart..<range.lowerBound])
                result.append(contentsOf: Array("***".utf8))
                searchStart = range.upperBound
            }
            if found {
                result.append(out[searchStart..<out.endIndex])
                out = result
            }
        }
        return out
    }
}
