import Foundation

/// Golden files for exports and reports (`Tests/Snapshots/`). Text is
/// normalised first (run ids, times, durations, latencies and hashes become
/// placeholders) so a snapshot holds only what must not change by accident.
///
/// `SPLITBOOK_RECORD_SNAPSHOTS=1 swift test` rewrites the golden files; a
/// recording run still fails, so a re-record is never mistaken for a pass.
public enum Snapshot {
    public static let directory = Binary.packageRoot.appendingPathComponent("Tests/Snapshots")
    static let recording = ProcessInfo.processInfo.environment["SPLITBOOK_RECORD_SNAPSHOTS"] == "1"

    /// Nil when `text` matches the golden file `name`; else what differs.
    public static func mismatch(_ name: String, _ text: String) -> String? {
        let url = directory.appendingPathComponent(name)
        let actual = normalise(text)
        if recording {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(actual.utf8).write(to: url)
            return "recorded \(name) (SPLITBOOK_RECORD_SNAPSHOTS=1): rerun without it"
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return "no golden file \(url.path); record it with SPLITBOOK_RECORD_SNAPSHOTS=1"
        }
        guard expected != actual else { return nil }
        let a = expected.components(separatedBy: "\n"), b = actual.components(separatedBy: "\n")
        let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        return "\(name) differs from its golden file at line \(line + 1):\n  expected: \(line < a.count ? a[line] : "<end>")\n  actual:   \(line < b.count ? b[line] : "<end>")"
    }

    static let rules: [(String, String)] = [
        // A test project's folder (`Project`), which the .ipynb export records as the notebook's origin.
        (#"(/[^/\s"'`]+)*/splitbook-project-[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}"#, "<PROJECT>"),
        (#"\d{8}-\d{6}-\d{3}"#, "<RUN>"),
        (#"job-\d{8}-\d{6}"#, "<RUN>"),
        (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, "<TIME>"),
        (#"\b[0-9a-f]{64}\b"#, "<HASH>"),
        (#"\b[0-9a-f]{12}\b"#, "<SHORT>"),
        (#"\b\d+ min \d+ s\b"#, "<DURATION>"),
        (#"\b\d+(\.\d+)? (ms|s)\b"#, "<DURATION>"),
        (#"(\\?"(duration|saved|p50|p95|p50Ms)\\?" ?: ?)-?[0-9.e+-]+"#, "$1<NUMBER>"),
        (#"class="ms">[0-9.]+<"#, #"class="ms"><NUMBER><"#),
        (#"(latency_p\d+_ms)(</th><td>| \| |": | = )[0-9.e+-]+"#, "$1$2<NUMBER>"),
    ]

    public static func normalise(_ text: String) -> String {
        var out = text
        for (pattern, template) in rules {
            let regex = try! NSRegularExpression(pattern: pattern)
            out = regex.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out), withTemplate: template)
        }
        return out
    }
}
