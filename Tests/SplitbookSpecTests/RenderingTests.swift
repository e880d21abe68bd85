import SplitbookSpec
import SplitbookTestSupport
import Testing

@Suite("Diagnostic rendering")
struct RenderingTests {
    @Test func compilerStyleWithSourceLineCaretAndNote() {
        let source = SourceText(path: "notebooks/rag.yaml", text: """
            cells:
              - id: clean
                ouputs: [clean.jsonl]
                code: echo
            """)
        let result = NotebookCheck(source: source)
        let text = DiagnosticRenderer(source: source).render(result.diagnostics)
        #expect(text == """
            notebooks/rag.yaml:3:5: error: unknown key 'ouputs' in cell 'clean'
                ouputs: [clean.jsonl]
                ^~~~~~
            note: did you mean 'outputs'?

            """)
    }

    @Test func notesWithLocationsAndSnippets() {
        let source = SourceText(path: "nb.yaml", text: "cells:\n  - id: a\n    code: x\n  - id: a\n    code: y\n")
        let text = DiagnosticRenderer(source: source).render(NotebookCheck(source: source).diagnostics)
        #expect(text == """
            nb.yaml:4:9: error: duplicate cell id 'a'
              - id: a
                    ^
            nb.yaml:2:9: note: 'a' is first defined here
              - id: a
                    ^

            """)
    }

    @Test func caretLinesUpAfterTabsAndWideCharacters() {
        let source = SourceText(path: "nb.yaml", text: "title: \"é\"\ncells:\n  - id: ü\n    code: x\n")
        let text = DiagnosticRenderer(source: source).render(NotebookCheck(source: source).diagnostics)
        #expect(text.hasPrefix("nb.yaml:3:9: error: the cell id: 'ü' is not a valid cell id\n  - id: ü\n        ^\n"))
    }

    @Test func diagnosticsComeOutInSourceOrder() {
        let fixture = Fixture.load("invalid/several-errors.yaml")
        let lines = NotebookCheck(source: fixture.source).diagnostics.compactMap { $0.range?.start }
        #expect(lines == lines.sorted())
        #expect(lines.count == 5)
    }

    @Test func longLinesAreCutToAWindowAroundTheCaret() {
        let source = SourceText(path: "nb.yaml", text: "cells: [" + String(repeating: "1, ", count: 500) + "oops: ]\n")
        let diagnostic = NotebookCheck(source: source).diagnostics.first { $0.kind == .unknownKey }!
        let lines = DiagnosticRenderer(source: source).render(diagnostic).split(separator: "\n")
        #expect(lines[0] == "nb.yaml:1:1509: error: unknown key 'oops' in cell #501")
        #expect(lines[1].count < 200 && lines[1].hasPrefix("...") && lines[1].hasSuffix("oops: ]"))
        #expect(lines[2].hasSuffix("^~~~") && lines[2].count == 87)
    }

    @Test func crlfLineEndingsKeepPositions() {
        let source = SourceText(path: "nb.yaml", text: "cells:\r\n  - id: a\r\n    cod: x\r\n")
        let diagnostics = NotebookCheck(source: source).diagnostics
        #expect(diagnostics.first { $0.kind == .unknownKey }?.range?.start == SourceLocation(line: 3, column: 5))
        let text = DiagnosticRenderer(source: source).render(diagnostics)
        #expect(text.contains("\n    cod: x\n    ^~~\n"))
    }
}
