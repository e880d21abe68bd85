import Foundation
import SplitbookEngine
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// The analysis (Python's `ast`, through python3) and the plan (pure) of
/// `splitbook import`, on small notebooks, without the binary.
@Suite struct ImportPlannerTests {
    /// Analyses and plans `cells` (code unless they start with "# " and are marked markdown by `markdown`).
    static func plan(_ cells: [String], tags: [Int: [String]] = [:], markdown: Set<Int> = [],
                     files: Set<String> = [], texts: [String: String] = [:]) throws -> (ImportPlan, JupyterAnalysis) {
        let dir = try TemporaryDirectory("sb-import-unit")
        defer { dir.remove() }
        let list: [[String: Any]] = cells.enumerated().map { index, source in
            ["cell_type": markdown.contains(index) ? "markdown" : "code", "source": source,
             "metadata": ["tags": tags[index] ?? []]]
        }
        let data = try JSONSerialization.data(withJSONObject: ["nbformat": 4, "nbformat_minor": 5, "metadata": [:], "cells": list])
        try dir.write("nb.ipynb", String(decoding: data, as: UTF8.self))
        let analysis = try JupyterAnalyzer.analyze(path: dir.url.appendingPathComponent("nb.ipynb").path, python: "python3",
                                                   environment: ProcessInfo.processInfo.environment)
        let context = ImportContext(existsBesideNotebook: { files.contains($0) }, existsBesideYAML: { files.contains($0) },
                                    readBesideNotebook: { texts[$0] })
        return (ImportPlanner.plan(analysis, context: context), analysis)
    }

    static func cell(_ plan: ImportPlan, _ number: Int) -> ImportPlan.CodeCellPlan? {
        plan.codeCells.first { $0.number == number }
    }

    @Test func aChangeThroughALoopVariableOrAnAliasIsANewVersionOfTheName() throws {
        let (plan, _) = try Self.plan([
            "rows = [{'a': 1}]\nconfig = {'k': 1}",
            "for r in rows:\n    r['a'] += 1\nsettings = config\nsettings['k'] = 2",
            "print(rows, config)",
        ])
        let reader = try #require(Self.cell(plan, 3))
        #expect(Set(reader.inputs) == ["vars/settings/rows", "vars/settings/config"], "both come from the cell that changed them: \(reader.inputs)")
        #expect(Self.cell(plan, 2)?.saves.sorted() == ["config", "rows"])
    }

    @Test func aFunctionsReaderReadsWhatItsBodyReadsAtTheReadersVersions() throws {
        let (plan, _) = try Self.plan([
            "alpha = 1",
            "def score(x):\n    return x * alpha",
            "alpha = 5",
            "print(score(2))",
        ])
        let reader = try #require(Self.cell(plan, 4))
        #expect(Set(reader.inputs) == ["vars/score/score", "vars/alpha-2/alpha"], "\(reader.inputs)")
        #expect(reader.code.contains("alpha = splitbook.load(\"vars/alpha-2/alpha\")"))
        #expect(Self.cell(plan, 1)?.outputs == [], "the first alpha is read by nobody: not saved")
    }

    @Test func aValueBringsTheClassItIsAnInstanceOfButNotEveryFunctionItsCellCalled() throws {
        let (plan, _) = try Self.plan([
            "class Box:\n    def __init__(self, v):\n        self.v = v\n    def scaled(self):\n        return self.v * factor",
            "def helper(n):\n    return n + 1",
            "factor = 3\nbox = Box(helper(1))",
            "print(box.scaled())",
        ])
        let reader = try #require(Self.cell(plan, 4))
        #expect(Set(reader.inputs) == ["vars/factor/box", "vars/box/Box", "vars/factor/factor"], "\(reader.inputs)")
        #expect(!reader.inputs.contains("vars/helper/helper"))
    }

    @Test func namesReadBeforeTheyAreDefinedAreWarnedAboutWithTheCellThatDefinesThem() throws {
        let (plan, _) = try Self.plan(["print(total)", "total = 1", "print(len, _)"])
        let warnings = plan.warnings.filter { $0.severity == .warning }
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.first { $0.cell == 1 }?.message == "reads 'total', which no earlier cell defines")
        #expect(warnings.first { $0.cell == 1 }?.notes.first?.hasPrefix("cell 2 defines it later") == true)
        #expect(warnings.first { $0.cell == 3 }?.message == "'_' is IPython's output history, which splitbook cells do not have")
    }

    @Test func cellMagicsBecomeCellsOfTheirLanguageAndLineMagicsAreRewritten() throws {
        let (plan, _) = try Self.plan([
            "%%bash\necho hi > out.txt",
            "%env MODE=fast\n%time x = 2 + 3\nx",
            "%%time\ny = 1",
        ])
        #expect(Self.cell(plan, 1)?.language == "bash")
        #expect(Self.cell(plan, 1)?.code == "echo hi > out.txt\n")
        #expect(plan.env.contains { $0.name == "MODE" && $0.value == "fast" })
        #expect(Self.cell(plan, 2)?.code.contains("x = 2 + 3\nsplitbook.show(x)") == true, "\(Self.cell(plan, 2)?.code ?? "")")
        #expect(Self.cell(plan, 3)?.code.contains("# %%time\ny = 1") == true)
    }

    @Test func pipLinesBecomeRequirementsAndUncoveredImportsAreAddedOrReported() throws {
        let (plan, _) = try Self.plan([
            "%pip install -q --upgrade 'requests>=2' -r reqs.txt\n!pip install tqdm",
            "import yaml\nimport requests\nimport nosuchmodule_xyz\nimport json",
        ], texts: ["reqs.txt": "# pinned\nrich==13.7.1\n--index-url http://example.invalid\n"])
        let requirements = try #require(plan.requirements)
        // yaml is PyYAML's: named as this Python has it installed, else by the known rename
        #expect(requirements.map { $0.lowercased() } == ["requests>=2", "tqdm", "rich==13.7.1", "pyyaml"], "\(requirements)")
        #expect(plan.warnings.contains { $0.message.hasPrefix("imports 'nosuchmodule_xyz', which no `%pip install` line installs") })
        #expect(!plan.warnings.contains { $0.message.contains("'json'") }, "the standard library needs nothing")
    }

    @Test func aNotebookWithoutPipLinesGetsNoPythonBlock() throws {
        let (plan, _) = try Self.plan(["import json\nprint(json.dumps(1))"])
        #expect(plan.requirements == nil)
        #expect(plan.env.first?.name == "PYTHONHASHSEED")
    }

    @Test func readsOfFilesAreInputsOnlyWhenTheyExistOrAnEarlierCellWritesThem() throws {
        let (plan, _) = try Self.plan([
            "import pandas as pd\ndf = pd.read_csv('data/x.csv')\ndf.to_parquet('clean/x.parquet')",
            "import pandas as pd\nback = pd.read_parquet('./clean/x.parquet')\nopen('/etc/hosts').read()",
        ], files: ["data/x.csv"])
        #expect(Self.cell(plan, 1)?.inputs == ["data/x.csv"])
        #expect(Self.cell(plan, 1)?.outputs == ["clean/x.parquet"])
        #expect(Self.cell(plan, 1)?.code.contains("os.makedirs(\"clean\", exist_ok=True)") == true, "the output's folder is made first")
        #expect(Self.cell(plan, 2)?.inputs == ["clean/x.parquet"])
        #expect(plan.warnings.contains { $0.cell == 2 && $0.line == 3 && $0.message.contains("outside the notebook's directory") })
    }

    @Test func notJSONIsRefusedAtItsLineAndColumn() throws {
        let dir = try TemporaryDirectory("sb-import-unit")
        defer { dir.remove() }
        try dir.write("bad.ipynb", "{\"nbformat\": 4,\n \"cells\": [1 2]}")
        #expect {
            try JupyterAnalyzer.analyze(path: dir.url.appendingPathComponent("bad.ipynb").path, python: "python3",
                                        environment: ProcessInfo.processInfo.environment)
        } throws: { error in
            guard let refusal = error as? JupyterAnalyzer.Refusal else { return false }
            return refusal.line == 2 && refusal.column == 14 && refusal.message.hasPrefix("not JSON: Expecting ',' delimiter")
        }
    }
}
