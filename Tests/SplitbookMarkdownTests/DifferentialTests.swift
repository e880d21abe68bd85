import Foundation
import SplitbookMarkdown
import SplitbookTestSupport
import Testing

/// Our renderer against markdown-it-py's `commonmark` preset with tables, on the
/// project's corpus and on generated documents: the normalised HTML must match.
@Suite struct DifferentialTests {
    /// The corpus: `Corpus/*.md`, each file several documents separated by a line `%%%`.
    static func corpus() throws -> [(name: String, markdown: String)] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".md") }.sorted()
        return try files.flatMap { file in
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            return text.components(separatedBy: "\n%%%\n").enumerated().map { ("\(file) #\($0.offset + 1)", $0.element) }
        }
    }

    @Test func corpusMatchesTheReference() throws {
        let documents = try Self.corpus()
        #expect(documents.count >= 150)
        try expectMatches(documents)
    }

    @Test func generatedDocumentsMatchTheReference() throws {
        let seed = ProcessInfo.processInfo.environment["MARKDOWN_SEED"].flatMap { UInt64($0) } ?? 20_260_617
        var generator = DocumentGenerator(seed: seed)
        let documents = (0..<10_000).map { ("document \($0 + 1) of seed \(seed) (MARKDOWN_SEED=\(seed))", generator.document()) }
        try expectMatches(documents)
    }

    /// Renders every document, has the reference render them in one batch, and records
    /// the first few mismatches with both outputs.
    private func expectMatches(_ documents: [(name: String, markdown: String)]) throws {
        let comparisons = try ReferenceRenderer.compare(documents.map { ($0.markdown, Markdown.html($0.markdown)) })
        var failures: [String] = []
        for (document, comparison) in zip(documents, comparisons) where comparison.expected != comparison.actual {
            if Divergences.explains(markdown: document.markdown, ours: comparison.actual, reference: comparison.expected) { continue }
            failures.append("""
                \(document.name)
                --- markdown
                \(document.markdown)
                --- markdown-it-py
                \(comparison.reference)
                --- splitbook
                \(Markdown.html(document.markdown))
                """)
        }
        #expect(failures.isEmpty, "\(failures.count) of \(documents.count) documents differ; the first:\n\(failures.prefix(3).joined(separator: "\n\n"))")
    }
}
