import SplitbookSpec
import SplitbookTestSupport
import Testing
import Foundation

@Suite("Hostile and unusual YAML")
struct YAMLLimitTests {
    static let billionLaughs = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        cells: *i
        """

    func diagnostics(_ text: String) -> [Diagnostic] {
        NotebookCheck(source: SourceText(path: "x.yaml", text: text)).diagnostics
    }

    @Test func billionLaughsIsRejectedWithoutExpanding() {
        let clock = ContinuousClock()
        var result: [Diagnostic] = []
        let elapsed = clock.measure { result = diagnostics(Self.billionLaughs) }
        #expect(result.count == 1)
        #expect(result.first?.kind == .yamlLimit)
        #expect(result.first?.message.contains("billion laughs") == true)
        // Rejected at the alias that crosses the budget, in 'g' or before: never expanded.
        #expect((result.first?.range?.start.line ?? 99) <= 7)
        #expect(elapsed < .seconds(5), "took \(elapsed)")  // a sanity bound, not a benchmark
    }

    @Test func aliasesWithinTheBudgetWork() {
        let text = """
            params:
              shared: &shared {lr: 0.1, epochs: 3}
              copy: *shared
            cells:
              - id: a
                code: echo
            """
        let check = NotebookCheck(source: SourceText(path: "x.yaml", text: text))
        #expect(check.diagnostics.isEmpty)
        #expect(check.notebook?.params.last?.value == .object(["lr": .double(0.1), "epochs": .int(3)]))
    }

    @Test(arguments: ["flow", "block"])
    func deepNestingIsRefused(style: String) {
        let depth = 10_000
        let text = style == "flow"
            ? "cells: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            : (0..<depth).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " 1\n"
        let result = diagnostics(text)
        #expect(result.count == 1)
        #expect(result.first?.kind == .yamlLimit)
        #expect(result.first?.message.contains("deeper than 128") == true)
    }

    @Test func hugeScalarIsRefused() {
        let text = "title: \"" + String(repeating: "x", count: 10 << 20) + "\"\ncells: []\n"
        let result = diagnostics(text)
        #expect(result.map(\.kind) == [.yamlLimit])
        #expect(result.first?.message.contains("10485760 bytes") == true)
        #expect(result.first?.range?.start == SourceLocation(line: 1, column: 8))
    }

    @Test func secondDocumentIsAnError() {
        let result = diagnostics("cells: []\n---\ncells: []\n")
        #expect(result.map(\.kind) == [.yamlSyntax])
        #expect(result.first?.range?.start.line == 2)
    }

    @Test func undefinedAliasIsAnError() {
        let result = diagnostics("cells: *nothing\n")
        #expect(result.map(\.kind) == [.yamlSyntax])
        #expect(result.first?.message.contains("'*nothing'") == true)
    }

    @Test func syntaxErrorsKeepLibyamlPositions() {
        let result = diagnostics("cells:\n  - id: a\n    code: \"unterminated\n")
        #expect(result.map(\.kind) == [.yamlSyntax])
        // libyaml reports where it noticed: the end of the stream, after the open quote on line 3.
        #expect(result.first?.range?.start == SourceLocation(line: 4, column: 1))
        #expect(result.first?.message == "YAML syntax: found unexpected end of stream while scanning a quoted scalar")
    }

    @Test func unsupportedVersion() {
        let fixture = Fixture.inline("#! 1️⃣ error unsupported-version: unsupported notebook format version 2\nsplitbook: 1️⃣2\ncells: []\n")
        let result = diagnostics(fixture.text)
        #expect(result.map(\.kind) == [.unsupportedVersion])
        #expect(result.first?.range?.start == fixture.expectations[0].location)
    }
}

@Suite("Scalar resolution (YAML 1.2 core schema)")
struct ScalarTests {
    func param(_ yaml: String) -> JSONValue? {
        NotebookCheck(source: SourceText(path: "x.yaml", text: "params:\n  p: \(yaml)\ncells: []\n")).notebook?.params.first?.value
    }

    @Test func resolvesCoreSchemaScalars() {
        #expect(param("3") == .int(3))
        #expect(param("-7") == .int(-7))
        #expect(param("0x1F") == .int(31))
        #expect(param("0.25") == .double(0.25))
        #expect(param("1e3") == .double(1000))
        #expect(param("true") == .bool(true))
        #expect(param("null") == .null)
        #expect(param("~") == .null)
        #expect(param("\"3\"") == .string("3"))
        #expect(param("!!str 3") == .string("3"))
        #expect(param("yes") == .string("yes"))
        #expect(param("1.2.3") == .string("1.2.3"))
        #expect(param("[1, a]") == .array([.int(1), .string("a")]))
    }

    @Test func canonicalJSONIsStable() {
        let value = JSONValue.object(["b": .array([.int(1), .double(0.5), .double(2)]), "a": .string("x\n\"y\""), "c": .null])
        #expect(value.canonicalJSON == #"{"a":"x\n\"y\"","b":[1,0.5,2.0],"c":null}"#)
        #expect(JSONValue.double(0.1).environmentText == "0.1")
        #expect(JSONValue.array([.int(1)]).environmentText == "[1]")
    }
}
