import Foundation
import SplitbookSpec

/// A notebook fixture from `Tests/Fixtures`, with its expected diagnostics.
///
/// Invalid fixtures mark each expected spot in the YAML with a keycap digit
/// (1️⃣ … 9️⃣) instead of stating line and column, so nobody counts by hand.
/// Lines starting with `#!` state what each marker expects (they stay in the
/// file as YAML comments, so line numbers do not shift):
///
/// ```
/// #! 1️⃣ error unknown-key: unknown key 'ouputs' in cell 'clean'
/// cells:
///   - id: clean
///     1️⃣ouputs: [x]
/// ```
public struct Fixture: Sendable, CustomStringConvertible {
    /// What one marker expects: severity, kind, and a substring of the message.
    public struct Expectation: Sendable, Equatable, CustomStringConvertible {
        public let severity: String
        public let kind: String
        public let message: String
        public let location: SourceLocation
        public var description: String { "\(location): \(severity) \(kind): \(message)" }
    }

    public let url: URL
    /// The path relative to the fixtures folder, e.g. `invalid/unknown-key.yaml`.
    public let name: String
    /// The YAML with the markers removed.
    public let text: String
    public let expectations: [Expectation]
    /// For invalid fixtures: whether the JSON Schema alone rejects the file
    /// (`#! schema rejects`) or only the loader's cross-cell rules do (`#! schema accepts`).
    public let schemaRejects: Bool?

    public var description: String { name }

    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// All fixtures in a folder of `Tests/Fixtures`, sorted by name.
    public static func all(_ folder: String) -> [Fixture] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { load("\(folder)/\($0)") }
    }

    public static func load(_ name: String) -> Fixture {
        let url = root.appendingPathComponent(name)
        let raw = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return Fixture(url: url, name: name, raw: raw)
    }

    /// A fixture written inline in a test, with the same marker syntax.
    public static func inline(_ raw: String, name: String = "inline.yaml") -> Fixture {
        Fixture(url: URL(fileURLWithPath: "/nonexistent/\(name)"), name: name, raw: raw)
    }

    private static let markers: [Character] = (1...9).map { Character("\($0)\u{FE0F}\u{20E3}") }

    init(url: URL, name: String, raw: String) {
        self.url = url
        self.name = name
        var spots: [Character: SourceLocation] = [:]
        var stated: [(Character, String, String, String)] = []
        var lines: [String] = []
        var schemaRejects: Bool?
        for (n, line) in raw.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#!") {
                // `#! 1️⃣ error unknown-key: message`
                let body = line.dropFirst(2).drop { $0 == " " }
                if body.hasPrefix("schema ") { schemaRejects = body.hasSuffix("rejects") }
                if let marker = body.first, Fixture.markers.contains(marker) {
                    let rest = body.dropFirst().drop { $0 == " " }
                    let words = rest.split(separator: " ", maxSplits: 1)
                    let kindAndMessage = words.count > 1 ? words[1].split(separator: ":", maxSplits: 1) : []
                    stated.append((marker, String(words.first ?? ""), String(kindAndMessage.first ?? ""),
                                   kindAndMessage.count > 1 ? kindAndMessage[1].trimmingCharacters(in: .whitespaces) : ""))
                }
                lines.append(String(line.filter { !Fixture.markers.contains($0) }))
                continue
            }
            var clean = ""
            var column = 1
            for c in line {
                if Fixture.markers.contains(c) {
                    spots[c] = SourceLocation(line: n + 1, column: column)
                } else {
                    clean.append(c)
                    column += 1
                }
            }
            lines.append(clean)
        }
        self.text = lines.joined(separator: "\n")
        self.schemaRejects = schemaRejects
        self.expectations = stated.map { marker, severity, kind, message in
            Expectation(severity: severity, kind: kind, message: message,
                        location: spots[marker] ?? SourceLocation(line: 0, column: 0))
        }
    }

    /// The fixture as a source file whose path is the fixture's real path.
    public var source: SourceText { SourceText(path: url.path, text: text) }

    /// The directory holding the fixture (for source files it references).
    public var directory: URL { url.deletingLastPathComponent() }
}
