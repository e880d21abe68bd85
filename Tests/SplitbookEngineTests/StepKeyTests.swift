import SplitbookEngine
import SplitbookSpec
import Testing

@Suite("Step keys")
struct StepKeyTests {
    static let base = StepKey(lang: "python", interpreter: ["python3", "/usr/bin/python3.11", "abc"], code: Digest.of("print(1)"),
                              outputs: ["b.txt", "a.txt"], params: ["top_k": "3", "chunk": "200"], env: ["LC_ALL": "C"],
                              inputs: ["data/docs.jsonl": Digest.of("docs")], needs: [:], uses: ["doc_index": Digest.of("index")])

    @Test func equalComponentsGiveEqualKeysWhateverTheOrder() {
        var other = Self.base
        other.params = ["chunk": "200", "top_k": "3"]
        other.outputs = ["a.txt", "b.txt"]
        #expect(other.digest == Self.base.digest)
        #expect(Self.base.canonicalJSON.hasPrefix(#"{"code":"#))
    }

    @Test func everyComponentChangesTheKey() {
        var variants: [StepKey] = []
        var k = Self.base; k.lang = "sh"; variants.append(k)
        k = Self.base; k.interpreter[2] = "def"; variants.append(k)
        k = Self.base; k.code = Digest.of("print(2)"); variants.append(k)
        k = Self.base; k.outputs = ["a.txt"]; variants.append(k)
        k = Self.base; k.params["top_k"] = "5"; variants.append(k)
        k = Self.base; k.env["LC_ALL"] = "en_US.UTF-8"; variants.append(k)
        k = Self.base; k.inputs["data/docs.jsonl"] = Digest.of("docs2"); variants.append(k)
        k = Self.base; k.needs["clean"] = Digest.of("x"); variants.append(k)
        k = Self.base; k.uses["doc_index"] = Digest.of("index2"); variants.append(k)
        k = Self.base; k.packages = Digest.of("numpy==2.1.0"); variants.append(k)
        k = Self.base; k.packages = Digest.of("numpy==2.1.1"); variants.append(k)
        k = Self.base; k.format = StepKey.formatVersion + 1; variants.append(k)
        let digests = Set(variants.map(\.digest) + [Self.base.digest])
        #expect(digests.count == variants.count + 1)
    }

    @Test func differencesAreSaidInWords() {
        var new = Self.base
        new.params["top_k"] = "5"
        new.code = Digest.of("print(2)")
        new.inputs["data/docs.jsonl"] = Digest.of("other")
        new.inputs["clean.jsonl"] = Digest.of("c")
        let words = new.differences(from: Self.base) { $0 == "clean.jsonl" ? "clean" : nil }
        #expect(words == ["code changed", "param top_k 3 -> 5", "input clean.jsonl added", "input data/docs.jsonl changed"])
        #expect(Self.base.differences(from: Self.base).isEmpty)
    }
}

@Suite("Step key encoding")
struct StepKeyEncodingTests {
    @Test func handWrittenEncodingEqualsTheCanonicalJSONOfTheComponents() {
        #expect(StepKeyTests.base.canonicalJSON == StepKeyTests.base.json.canonicalJSON)
    }
}

@Suite("No-op stamp templates")
struct NoopTemplateTests {
    @Test func placeholdersAreFilledAndOtherAtSignsKept() {
        let filled = NoopStamp.fill(#"{"a":"@RUN_ID@","b":"x@y","c":@DURATION@,"d":"@nope@"}"#, ["@RUN_ID@": "r1", "@DURATION@": "0.5"])
        #expect(filled == #"{"a":"r1","b":"x@y","c":0.5,"d":"@nope@"}"#)
    }
}

@Suite("Sweep grids")
struct SweepGridTests {
    @Test func valuesAreYAMLRangesOrListsAndTheGridIsTheirProduct() throws {
        let grid = try SweepGrid(["lr=0.1,0.01", "epochs=range(1, 7, 2)", "name=[a, \"b,c\"]"])
        #expect(grid.axes.map(\.values) == [[.double(0.1), .double(0.01)], [.int(1), .int(3), .int(5)], [.string("a"), .string("b,c")]])
        #expect(grid.points.count == 12)
        #expect(grid.points.first == ["lr": .double(0.1), "epochs": .int(1), "name": .string("a")])
        #expect(grid.points.last == ["lr": .double(0.01), "epochs": .int(5), "name": .string("b,c")])
        #expect(try SweepGrid(["x=range(0, 0.3, 0.1)"]).axes[0].values == [.int(0), .double(0.1), .double(0.2)])
        #expect(grid.id(notebook: "nb.yaml", fixed: [:]) == (try SweepGrid(["lr=0.1,0.01", "epochs=range(1, 7, 2)", "name=[a, \"b,c\"]"]))
            .id(notebook: "nb.yaml", fixed: [:]))
        #expect(grid.id(notebook: "nb.yaml", fixed: [:]) != grid.id(notebook: "nb.yaml", fixed: ["seed": .int(2)]))
        #expect(throws: SweepGrid.ParseError.self) { try SweepGrid(["x"]) }
        #expect(throws: SweepGrid.ParseError.self) { try SweepGrid(["x=1", "x=2"]) }
    }
}
