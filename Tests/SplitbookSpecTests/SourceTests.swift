import SplitbookSpec
import Testing

/// Where diagnostics point, as an editor counts lines and columns, and the
/// refusals that come before parsing (file size, encoding).
@Suite("Source positions, size and encoding")
struct SourceTests {
    func diagnostics(_ text: String) -> [Diagnostic] {
        NotebookCheck(source: SourceText(path: "x.yaml", text: text)).diagnostics
    }

    func decodingError(_ bytes: [UInt8]) -> SourceText.DecodingError? {
        do {
            _ = try SourceText(path: "x.yaml", bytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Size

    @Test func aFileOverTheLimitIsRefusedAtItsStart() throws {
        let error = try #require(decodingError(Array(repeating: UInt8(ascii: "#"), count: SourceText.maxBytes + 1)))
        #expect(error.location == SourceLocation(line: 1, column: 1))
        #expect(error.message.hasPrefix("the notebook is larger than 8 MiB (8388608 bytes)"))
    }

    @Test func aFileAtTheLimitIsRead() throws {
        var bytes = Array("cells: []\n#".utf8)
        bytes += Array(repeating: UInt8(ascii: "#"), count: SourceText.maxBytes - bytes.count)
        let source = try SourceText(path: "x.yaml", bytes: bytes)
        #expect(source.text.utf8.count == SourceText.maxBytes)
        #expect(NotebookCheck(source: source).diagnostics.isEmpty)
    }

    @Test func aDiagnosticOnAHugeLineShowsAWindowOfIt() {
        let source = SourceText(path: "x.yaml", text: "title: \"" + String(repeating: "x", count: 4 << 20) + "\"\ncells: []\n")
        let check = NotebookCheck(source: source)
        #expect(check.diagnostics.map(\.kind) == [.yamlLimit])
        let lines = DiagnosticRenderer(source: source).render(check.diagnostics).split(separator: "\n")
        #expect(lines.count == 4, "header, excerpt, caret, note")
        #expect(lines.allSatisfy { $0.count < 200 })
        #expect(lines[2] == "       ^")
    }

    @Test func aDocumentOfMoreThanMaxNodesIsRefusedAtTheFirstOneOver() {
        // The root mapping, 'params', its mapping, 'p' and the list are nodes 1 to 5: item 199,996 is node 200,001.
        let result = diagnostics("params: {p: [" + String(repeating: "1, ", count: 200_000) + "]}\ncells: []\n")
        #expect(result.map(\.kind) == [.yamlLimit])
        #expect(result.first?.range?.start == SourceLocation(line: 1, column: 14 + 3 * 199_995))
        #expect(result.first?.message.hasPrefix("the notebook holds more than 200000 YAML values") == true)
    }

    @Test func aliasesCountTowardTheSameBudget() {
        let result = diagnostics("a: &a [" + String(repeating: "1, ", count: 120_000) + "]\nb: *a\ncells: []\n")
        #expect(result.map(\.kind) == [.yamlLimit])
        #expect(result.first?.range?.start == SourceLocation(line: 2, column: 4))
        #expect(result.first?.message.contains("billion laughs") == true)
    }

    // MARK: Encoding

    /// Bytes with one bad sequence, and where an editor shows its first byte.
    static let invalidUTF8: [(bytes: [UInt8], line: Int, column: Int)] = [
        (Array("cells: []\n# é ".utf8) + [0xFF], 2, 5),                         // a byte that starts nothing; é is one column
        (Array("a: 1\r\nb: 2\r\nc: ".utf8) + [0x80], 3, 4),                    // a stray continuation byte after CRLF lines
        (Array("a: 1\rb: \"".utf8) + [0xC3, 0x28, 0x22], 2, 5),               // a two-byte sequence cut short, after a lone CR
        (Array("a: \u{2028}x\n  ".utf8) + [0xED, 0xA0, 0x80], 2, 3),          // a UTF-16 surrogate; U+2028 breaks no line
        (Array("a: b\n\n\nc: ".utf8) + [0xC0, 0x80], 4, 4),                   // an overlong encoding of NUL
        (Array("a: 😀".utf8) + [0xF0, 0x9F, 0x98], 1, 5),                      // truncated at the end of the file
    ]

    @Test(arguments: invalidUTF8.indices)
    func invalidUTF8IsLocatedAtItsFirstBadByte(_ index: Int) throws {
        let (bytes, line, column) = Self.invalidUTF8[index]
        let error = try #require(decodingError(bytes))
        #expect(error.location == SourceLocation(line: line, column: column))
        #expect(error.message.hasPrefix("the notebook is not UTF-8 text: byte 0x"))
    }

    @Test func aByteOrderMarkIsDroppedSoColumnsStartAfterIt() throws {
        let source = try SourceText(path: "x.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array("titel: x\ncells: []\n".utf8))
        #expect(source.text.hasPrefix("titel"))
        #expect(NotebookCheck(source: source).diagnostics.first?.range?.start == SourceLocation(line: 1, column: 1))
    }

    @Test func controlCharactersAreLocatedWhereTheyAre() {
        let result = diagnostics("title: \"é\u{2028}\"\ncells:\n  - id: a\n    code: ec\u{7}ho\n")
        #expect(result.map(\.kind) == [.yamlSyntax])
        #expect(result.first?.range?.start == SourceLocation(line: 4, column: 13))
        #expect(result.first?.message == "YAML syntax: control characters are not allowed (found U+0007)")
    }

    // MARK: Line breaks

    @Test(arguments: ["\u{85}", "\u{2028}", "\u{2029}"])
    func unicodeLineSeparatorsAreTextNotLineBreaks(_ separator: String) {
        let text = """
            title: "one\(separator)two"
            description: plain\(separator)text
            cells:
              - id: a
                code: |
                  echo "a\(separator)b"
                ouputs: [x]

            """
        let check = NotebookCheck(source: SourceText(path: "x.yaml", text: text))
        #expect(check.diagnostics.map(\.kind) == [.unknownKey])
        #expect(check.diagnostics.first?.range?.start == SourceLocation(line: 7, column: 5))
        #expect(check.notebook?.title == "one\(separator)two")
        #expect(check.notebook?.description == "plain\(separator)text")
        guard case .inline(let code)? = check.notebook?.codeCells.first?.source else {
            Issue.record("no inline code")
            return
        }
        #expect(code == "echo \"a\(separator)b\"\n")
    }

    @Test func separatorsCountAsOneColumn() {
        let result = diagnostics("cells:\n  - {id: a, code: \"\u{2028}\u{85}\", ouputs: [y]}\n")
        #expect(result.map(\.kind) == [.unknownKey])
        #expect(result.first?.range?.start == SourceLocation(line: 2, column: 25))
    }

    @Test func escapesOfPrivateUseCharactersSurviveTheStandIns() {
        // U+E000 (written out) and U+E001 (as an escape) are what the stand-ins would otherwise be.
        let check = NotebookCheck(source: SourceText(path: "x.yaml", text: "title: \"\u{E000}\\uE001\u{2028}\"\ncells: []\n"))
        #expect(check.diagnostics.isEmpty)
        #expect(check.notebook?.title == "\u{E000}\u{E001}\u{2028}")
    }

    @Test func aFileUsingEveryPrivateUseCharacterCannotHaveSeparators() {
        var comment = "# "
        for range in [0xE000...0xF8FF, 0xF0000...0xFFFFD, 0x100000...0x10FFFD] {
            comment.unicodeScalars.append(contentsOf: range.map { Unicode.Scalar(UInt32($0))! })
        }
        let result = diagnostics(comment + "\ntitle: \"a\u{2028}\"\ncells: []\n")
        #expect(result.map(\.kind) == [.yamlLimit])
        #expect(result.first?.range?.start == SourceLocation(line: 2, column: 10))
        #expect(result.first?.message.hasPrefix("cannot read U+2028 here") == true)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func eachLineEndingCountsAsOneBreak(_ newline: String) {
        let text = ["cells:", "  - id: a", "", "    cod: x", ""].joined(separator: newline)
        let source = SourceText(path: "x.yaml", text: text)
        let diagnostics = NotebookCheck(source: source).diagnostics
        #expect(diagnostics.first { $0.kind == .unknownKey }?.range?.start == SourceLocation(line: 4, column: 5))
        #expect(DiagnosticRenderer(source: source).render(diagnostics).contains("\n    cod: x\n    ^~~\n"))
    }

    @Test func mixedLineEndingsAndOtherControlsOfLines() {
        // CRLF, a lone CR and LF each end one line; VT, FF, NEL and LS end none.
        let source = SourceText(path: "x.yaml", text: "a\r\nb\rc\nd\u{0B}e\u{0C}f\u{85}g\u{2028}h\n")
        let lines = source.lines([1, 2, 3, 4, 5, 6])
        #expect(lines == [1: "a", 2: "b", 3: "c", 4: "d\u{0B}e\u{0C}f\u{85}g\u{2028}h", 5: ""])
    }
}
