import Foundation
import SplitbookSpec
import SplitbookTestSupport
import Testing
@testable import SplitbookEngine

/// A random notebook for the recording runner, and an independent model of
/// what each cell writes: the oracle for which cells must rerun after an edit.
struct RandomNotebook {
    struct Cell {
        var salt: Int
        var comment: Int
        /// Earlier cells whose output it reads.
        var inputs: [Int]
        /// Source files it reads (`src/sN.txt`).
        var sources: [Int]
        /// Visible params; nil: all of them.
        var params: [String]?
        var cache: Bool
    }

    var cells: [Cell]
    var sources: [String]
    var params: [String: Int]

    init(_ rng: inout SplitMix64) {
        sources = (0..<3).map { "source \($0) v\(rng.below(100))" }
        params = ["p": 1, "q": 1]
        cells = []
        for i in 0..<(2 + rng.below(6)) {
            let inputs = (0..<i).filter { _ in rng.below(3) == 0 }
            let sources = (0..<3).filter { _ in rng.below(4) == 0 }
            let params: [String]? = [nil, [], ["p"], ["q"], ["p", "q"]][rng.below(5)]
            cells.append(Cell(salt: rng.below(1000), comment: 0, inputs: inputs, sources: sources, params: params, cache: rng.below(8) != 0))
        }
    }

    var yaml: String {
        var out = "params: {p: 1, q: 1}\ncells:\n"
        for (i, c) in cells.enumerated() {
            out += "  - id: c\(i)\n    outputs: [o\(i).txt]\n"
            let inputs = c.inputs.map { "o\($0).txt" } + c.sources.map { "src/s\($0).txt" }
            if !inputs.isEmpty { out += "    inputs: [\(inputs.joined(separator: ", "))]\n" }
            if let params = c.params { out += "    params: [\(params.joined(separator: ", "))]\n" }
            if !c.cache { out += "    cache: false\n" }
            out += "    code: \"emit \(c.salt) # \(c.comment)\"\n"
        }
        return out
    }

    /// What cell `i` writes, in the model's terms (not splitbook's).
    func value(_ i: Int) -> String {
        let c = cells[i]
        let visible = (c.params ?? ["p", "q"]).sorted().map { "\($0)=\(params[$0]!)" }
        return "\(c.salt)(\(visible))[\(c.inputs.map(value))][\(c.sources.map { sources[$0] })]"
    }

    /// What enters cell `i`'s key besides its inputs' contents.
    func definition(_ i: Int) -> String {
        let c = cells[i]
        return "\(c.salt) \(c.comment) \((c.params ?? ["p", "q"]).sorted().map { "\($0)=\(params[$0]!)" }) \(c.sources.map { sources[$0] })"
    }

    /// The cells that must execute when `self` follows `before`.
    func mustRun(after before: RandomNotebook) -> Set<String> {
        Set(cells.indices.filter { i in
            !cells[i].cache || !before.cells[i].cache || definition(i) != before.definition(i)
                || cells[i].inputs.contains { value($0) != before.value($0) }
        }.map { "c\($0)" })
    }

    /// One random edit.
    mutating func edit(_ rng: inout SplitMix64) -> String {
        let i = rng.below(cells.count)
        switch rng.below(7) {
        case 0: cells[i].comment += 1; return "reword c\(i) (same output)"
        case 1: cells[i].salt += 1; return "change c\(i)'s output"
        case 2: params["p"]! += 1; return "param p"
        case 3: params["q"]! += 1; return "param q"
        case 4: let s = rng.below(3); sources[s] += "!"; return "edit src/s\(s).txt"
        case 5: cells[i].cache.toggle(); return "toggle cache of c\(i)"
        default: return "nothing"
        }
    }

    func write(to dir: TemporaryDirectory, as name: String) throws {
        try dir.write(name, yaml)
        for (n, text) in sources.enumerated() { try dir.write("src/s\(n).txt", text) }
    }
}

@Suite("status predicts what run does, on random notebooks and edits (in process)")
struct PlanPropertyTests {
    /// Cases per shard; the shards run in parallel, each case in a directory of its own.
    static let casesPerShard = 250

    @Test(arguments: 0..<4) func statusPredictsRunAndRunMatchesTheModel(shard: Int) throws {
        var checked = 0
        for seed in UInt64(shard * Self.casesPerShard)..<UInt64((shard + 1) * Self.casesPerShard) {
            var rng = SplitMix64(seed: seed)
            var model = RandomNotebook(&rng)
            let caseDir = try TemporaryDirectory("splitbook-property-case", inMemory: true)
            defer { caseDir.remove() }
            var options = RunOptions()
            options.outputs = caseDir.url.appendingPathComponent("outputs")
            options.registry = options.outputs.appendingPathComponent("registry")
            let path = caseDir.url.appendingPathComponent("case\(seed).yaml").path

            try model.write(to: caseDir, as: "case\(seed).yaml")
            let cold = try NotebookRunner.recording(path, options: options)
            let first = try cold.0.run(observer: nil)
            #expect(first.cells.allSatisfy { $0.status == .ran }, "seed \(seed): the cold run runs everything")

            let before = model
            let edits = (0..<(1 + rng.below(2))).map { _ in model.edit(&rng) }
            try model.write(to: caseDir, as: "case\(seed).yaml")
            options.params = model.params.mapValues { JSONValue.int($0) }
            let label = "seed \(seed), edits \(edits)"

            let plan = try NotebookRunner(file: try NotebookFile(path: path), options: options).plan().report
            let (runner, recorder) = try NotebookRunner.recording(path, options: options)
            let report = try runner.run(observer: nil)
            let ran = Set(report.cells.filter { $0.status == .ran }.map(\.id))
            #expect(ran == model.mustRun(after: before), "\(label): ran \(ran.sorted())")
            #expect(Set(recorder.started) == ran, "\(label)")
            for predicted in plan.cells {
                let actual = report.status(predicted.id)
                let definite = !predicted.reasons.contains { $0.hasSuffix("will rerun") }
                if predicted.status == .cached { #expect(actual == .cached, "\(label): \(predicted.id) predicted cached") }
                if predicted.status == .stale, definite { #expect(actual == .ran, "\(label): \(predicted.id) predicted \(predicted.reasons)") }
            }

            let again = try NotebookRunner.recording(path, options: options).0.run(observer: nil)
            let always = Set(model.cells.indices.filter { !model.cells[$0].cache }.map { "c\($0)" })
            #expect(Set(again.cells.filter { $0.status == .ran }.map(\.id)) == always, "\(label): a rerun runs only cache: false cells")
            checked += 1
        }
        #expect(checked == Self.casesPerShard)
    }
}
