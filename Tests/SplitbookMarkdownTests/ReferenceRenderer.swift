import Foundation
import SplitbookTestSupport

/// markdown-it-py (`MarkdownIt("commonmark").enable("table")`) in the pinned test venv,
/// run once per batch by `Tests/Scripts/markdown_reference.py`, which also normalises
/// both HTML strings as the CommonMark spec's `normalize.py` does.
enum ReferenceRenderer {
    struct Comparison: Decodable {
        /// markdown-it-py's HTML as it rendered it.
        let reference: String
        /// markdown-it-py's HTML, normalised.
        let expected: String
        /// Our HTML, normalised.
        let actual: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// For each (markdown, our HTML) pair, the reference rendering and both normalised forms.
    static func compare(_ cases: [(markdown: String, html: String)]) throws -> [Comparison] {
        let script = Binary.packageRoot.appendingPathComponent("Tests/Scripts/markdown_reference.py")
        let input = try JSONSerialization.data(withJSONObject: cases.map { ["markdown": $0.markdown, "actual": $0.html] })
        let result = try Process.capture(try PythonEnvironment.python(), [script.path], stdin: input)
        guard result.status == 0 else { throw Failure(description: "markdown_reference.py failed: \(result.stderr)") }
        let comparisons = try JSONDecoder().decode([Comparison].self, from: Data(result.stdout.utf8))
        guard comparisons.count == cases.count else {
            throw Failure(description: "markdown_reference.py answered \(comparisons.count) of \(cases.count) documents")
        }
        return comparisons
    }
}
