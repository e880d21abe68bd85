import Foundation
import SplitbookSpec

/// Turns a `JupyterAnalysis` into an `ImportPlan`: walks the cells in notebook
/// order keeping, for every top-level name, the version a cell running now
/// would see (Jupyter's kernel state, top to bottom), and makes each read of
/// an earlier cell's version a declared hand-off. Pure: the disk is asked
/// through `ImportContext`.
public enum ImportPlanner {
    public static func plan(_ analysis: JupyterAnalysis, context: ImportContext) -> ImportPlan {
        var builder = Builder(analysis: analysis, context: context)
        return builder.build()
    }

    /// Names IPython puts in every kernel's namespace: a read of one is not a hand-off.
    static let ipythonHistory: Set<String> = ["_", "__", "___", "In", "Out", "_ih", "_oh", "_dh", "_i", "_ii", "_iii"]

    /// One value of a name, from its definition to the next.
    final class Version {
        enum Kind: Equatable {
            case value, function, klass, param, deleted
            case imports([String])
        }

        let sequence: Int
        let name: String
        let kind: Kind
        /// The code cell (index in `Builder.codeCells`) that made it; nil for a param.
        let producer: Int?
        /// The cell may end without binding it (a conditional definition and no earlier value).
        let mayBeMissing: Bool
        var readers: [Int] = []
        /// The classes its value may need to be unpickled (instances of a class from the notebook).
        var codeDependencies: [Version] = []
        /// For functions and classes: the global names their code reads when it runs.
        var freeReads: [String] = []
        var path: String?

        init(sequence: Int, name: String, kind: Kind, producer: Int?, mayBeMissing: Bool) {
            self.sequence = sequence
            self.name = name
            self.kind = kind
            self.producer = producer
            self.mayBeMissing = mayBeMissing
        }

        var isCode: Bool { kind == .function || kind == .klass }
        var isSaved: Bool { (kind == .value || isCode) && !readers.isEmpty }
    }

    /// What one cell loads, in order.
    struct Loads {
        var versions: [Version] = []
        var names: Set<String> = []

        mutating func insert(_ version: Version) -> Bool {
            guard !names.contains(version.name) else { return false }
            names.insert(version.name)
            versions.append(version)
            return true
        }
    }

    /// A code cell being planned.
    struct PlannedCell {
        var analysis: JupyterAnalysis.CodeCell
        var id: String
        var loads = Loads()
        var produced: [Version] = []
        var fileInputs: [String] = []
        var fileOutputs: [String] = []
        var usesDisplay = false
        var setups: [String] = []
    }

    struct Builder {
        let analysis: JupyterAnalysis
        let context: ImportContext
        var warnings: [ImportWarning] = []
        var current: [String: Version] = [:]
        var sequence = 0
        var cells: [PlannedCell] = []
        var params: [ImportPlan.Param] = []
        var fileWriters: [String: Int] = [:]
        var setups: [(module: String, text: String)] = []
        let builtins: Set<String>

        init(analysis: JupyterAnalysis, context: ImportContext) {
            self.analysis = analysis
            self.context = context
            builtins = Set(analysis.builtins)
        }

        mutating func build() -> ImportPlan {
            for (number, messages) in analysis.analysis.map({ ($0.number, $0.warnings) }) {
                warnings += messages.map {
                    ImportWarning($0.severity == "note" ? .note : .warning, cell: number, line: $0.line, column: $0.col,
                                  length: $0.length, $0.message, notes: $0.notes)
                }
            }
            var ids = CellIDs()
            for cell in analysis.analysis {
                cells.append(PlannedCell(analysis: cell, id: ids.id(for: cell)))
            }
            for index in cells.indices { flow(index) }
            for index in cells.indices { files(index) }
            for cell in analysis.cells where cell.type == "raw" && !cell.source.isEmpty {
                warnings.append(ImportWarning(.note, cell: cell.number, "raw cell dropped (it only steers nbconvert)"))
            }
            for version in cells.flatMap(\.produced) where version.isSaved {
                version.path = "vars/\(cells[version.producer!].id)/\(version.name)"
            }
            let hasParams = !params.isEmpty
            var planned: [ImportPlan.Cell] = []
            var byNumber: [Int: Int] = [:]
            for (index, cell) in cells.enumerated() { byNumber[cell.analysis.number] = index }
            for cell in analysis.cells {
                switch cell.type {
                case "markdown":
                    if !cell.source.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { planned.append(.markdown(cell.source)) }
                case "code":
                    guard let index = byNumber[cell.number], let plan = codePlan(index, hasParams: hasParams) else { continue }
                    planned.append(.code(plan))
                default:
                    continue
                }
            }
            warnings.sort { ($0.cell ?? Int.max, $0.line, $0.column) < ($1.cell ?? Int.max, $1.line, $1.column) }
            return ImportPlan(title: title(), params: params, env: environment(), requirements: requirements(),
                              cells: planned, warnings: warnings)
        }

        // MARK: names

        mutating func newVersion(_ name: String, _ kind: Version.Kind, producer: Int?, mayBeMissing: Bool = false) -> Version {
            sequence += 1
            let version = Version(sequence: sequence, name: name, kind: kind, producer: producer, mayBeMissing: mayBeMissing)
            current[name] = version
            return version
        }

        /// The hand-offs of cell `index`: what it loads, then what it defines and changes.
        mutating func flow(_ index: Int) {
            let cell = cells[index].analysis
            if let parameters = cell.parameters {
                for parameter in parameters {
                    if let existing = params.firstIndex(where: { $0.name == parameter.name }) { params.remove(at: existing) }
                    params.append(ImportPlan.Param(name: parameter.name, value: parameter.value.json))
                    _ = newVersion(parameter.name, .param, producer: nil)
                }
            }
            guard cell.language == "python" else { return }
            for read in cell.reads {
                guard let version = current[read.name] else {
                    unresolved(read, in: index)
                    continue
                }
                if version.kind == .deleted {
                    warnings.append(ImportWarning(.warning, cell: cell.number, line: read.line, column: read.col, length: read.name.count,
                                                  "reads '\(read.name)', which cell \(cells[version.producer!].analysis.number) deleted: "
                                                  + "it fails with NameError here as in Jupyter"))
                    continue
                }
                load(version, into: index, asDependency: false)
            }
            var produced: [Version] = []
            let definedHere = Set(cell.defs.map(\.name))
            for definition in cell.defs {
                let kind: Version.Kind
                switch definition.kind {
                case "function": kind = .function
                case "class": kind = .klass
                case "deleted": kind = .deleted
                case "import":
                    var texts = definition.imports
                    if let previous = current[definition.name], case .imports(let earlier) = previous.kind {
                        texts = earlier + texts.filter { !earlier.contains($0) }
                    }
                    kind = .imports(texts)
                default: kind = .value
                }
                let loaded = cells[index].loads.names.contains(definition.name)
                let version = newVersion(definition.name, kind, producer: index,
                                         mayBeMissing: !definition.definite && !loaded && kind == .value)
                version.freeReads = cell.functions[definition.name]?.freeReads ?? []
                produced.append(version)
            }
            for mutation in cell.mutations where !definedHere.contains(mutation.name) {
                guard let previous = current[mutation.name], previous.kind == .value || previous.kind == .param else { continue }
                produced.append(newVersion(mutation.name, .value, producer: index))
            }
            // A value may be an instance of a class the cell used: unpickling it needs that class (pickle stores
            // only its name). Functions are not needed (the helper pickles a notebook function inside a value
            // by its source), so a value does not depend on every function its cell called.
            let classes = cells[index].loads.versions.filter { $0.kind == .klass } + produced.filter { $0.kind == .klass }
            for version in produced where version.kind == .value { version.codeDependencies = classes }
            cells[index].produced = produced
        }

        /// Makes cell `index` load `version`; a value brings the functions and classes it may need, and
        /// those the names their code reads (the reader's versions, as Jupyter would look them up).
        mutating func load(_ version: Version, into index: Int, asDependency: Bool) {
            if case .imports = version.kind {
                guard cells[index].loads.insert(version) else { return }
                for setup in setups where setup.module == version.name && !cells[index].setups.contains(setup.text) {
                    cells[index].setups.append(setup.text)
                }
                return
            }
            guard cells[index].loads.insert(version) else { return }
            version.readers.append(index)
            if version.kind == .value {
                for dependency in version.codeDependencies where current[dependency.name] === dependency || current[dependency.name]?.isCode == true {
                    load(current[dependency.name] ?? dependency, into: index, asDependency: true)
                }
            }
            if asDependency, version.isCode {
                for name in version.freeReads {
                    if let read = current[name], read.kind != .deleted { load(read, into: index, asDependency: true) }
                }
            }
        }

        mutating func unresolved(_ read: JupyterAnalysis.Read, in index: Int) {
            let cell = cells[index].analysis
            if read.name == "display" {
                cells[index].usesDisplay = true
                return
            }
            if builtins.contains(read.name) { return }
            if read.via != nil { return }  // reported where the function reads it, if at all
            let place = (line: read.line, column: read.col, length: read.name.count)
            if ImportPlanner.ipythonHistory.contains(read.name) || read.name.range(of: "^_i?[0-9]+$", options: .regularExpression) != nil {
                warnings.append(ImportWarning(.warning, cell: cell.number, line: place.line, column: place.column, length: place.length,
                                              "'\(read.name)' is IPython's output history, which splitbook cells do not have",
                                              notes: ["name the value: result = ... in the cell that computes it, then read result"]))
                return
            }
            var notes: [String] = []
            if let later = cells[(index + 1)...].first(where: { $0.analysis.defs.contains { $0.name == read.name } }) {
                notes.append("cell \(later.analysis.number) defines it later: in Jupyter this worked only because the cells ran out of order; "
                             + "move the definition above")
            }
            if let star = analysis.analysis.prefix(while: { $0.number < cell.number })
                .first(where: { $0.warnings.contains { $0.message.hasPrefix("star import") } }) {
                notes.append("it may come from the star import in cell \(star.number)")
            }
            warnings.append(ImportWarning(.warning, cell: cell.number, line: place.line, column: place.column, length: place.length,
                                          "reads '\(read.name)', which no earlier cell defines", notes: notes))
        }

        // MARK: files

        /// Literal paths: written ones become outputs, read ones inputs (another cell's output: an
        /// edge; else a file under the notebook's directory).
        mutating func files(_ index: Int) {
            let cell = cells[index].analysis
            var writtenHere: [String: Int] = [:]
            for use in cell.paths.sorted(by: { ($0.line, $0.col) < ($1.line, $1.col) }) {
                guard let path = ImportPlanner.normalize(use.path) else {
                    warnings.append(ImportWarning(.warning, cell: cell.number, line: use.line, column: use.col, length: 1,
                                                  "\(use.mode == "read" ? "reads" : "writes") '\(use.path)', outside the notebook's directory: "
                                                  + "not declared, so not part of the cell's key",
                                                  notes: ["copy the file under the notebook's directory and use a relative path"]))
                    continue
                }
                if use.mode == "write" {
                    if writtenHere[path] == nil { writtenHere[path] = use.line }
                    if cells[index].fileInputs.contains(path) {
                        warnings.append(ImportWarning(.warning, cell: cell.number, line: use.line, column: use.col,
                                                      "rewrites '\(path)', which it reads: a splitbook cell may not change its inputs",
                                                      notes: ["write the result under another name"]))
                    } else if let other = fileWriters[path], other != index {
                        warnings.append(ImportWarning(.warning, cell: cell.number, line: use.line, column: use.col,
                                                      "writes '\(path)', which cell \(cells[other].analysis.number) writes too: "
                                                      + "a path has one writer, so only the later one declares it",
                                                      notes: ["give each version of the file its own name"]))
                        cells[other].fileOutputs.removeAll { $0 == path }
                        cells[index].fileOutputs.append(path)
                        fileWriters[path] = index
                    } else if !cells[index].fileOutputs.contains(path) {
                        cells[index].fileOutputs.append(path)
                        fileWriters[path] = index
                    }
                    continue
                }
                if writtenHere[path] != nil || cells[index].fileInputs.contains(path) { continue }
                if let writer = fileWriters[path], writer != index {
                    cells[index].fileInputs.append(path)
                } else if context.existsBesideYAML(path) {
                    cells[index].fileInputs.append(path)
                } else if context.existsBesideNotebook(path) {
                    warnings.append(ImportWarning(.warning, cell: cell.number, line: use.line, column: use.col, length: use.path.count + 2,
                                                  "reads '\(path)', which is beside the .ipynb but not under \(context.yamlDirectory)",
                                                  notes: ["copy it to \(context.yamlDirectory == "." ? "" : context.yamlDirectory + "/")\(path) "
                                                          + "and add it to the cell's inputs, or write the YAML beside the .ipynb"]))
                } else if !cell.paths.contains(where: { $0.mode == "write" && ImportPlanner.normalize($0.path) == path }) {
                    warnings.append(ImportWarning(.warning, cell: cell.number, line: use.line, column: use.col, length: use.path.count + 2,
                                                  "reads '\(path)', which does not exist under the notebook's directory and no earlier cell writes",
                                                  notes: ["create it (or add the cell that does), then list it in the cell's inputs"]))
                }
            }
            // A module of the notebook's own (`import utils` beside it) is an input, so editing it reruns the cell.
            let modules = cell.imports.map(\.module) + cells[index].loads.versions.flatMap { version -> [String] in
                if case .imports(let texts) = version.kind { return texts.compactMap(ImportPlanner.importedModule) }
                return []
            }
            for module in modules where !StandardLibrary.contains(module) {
                for candidate in [module + ".py", module] where context.existsBesideYAML(candidate) {
                    if !cells[index].fileInputs.contains(candidate) { cells[index].fileInputs.append(candidate) }
                    break
                }
            }
            if cell.language == "python" {
                for setup in cell.setups { setups.append((setup.module, setup.text)) }
            }
        }

        // MARK: code

        /// The cell as written: loads, the cell's own code, saves.
        func codePlan(_ index: Int, hasParams: Bool) -> ImportPlan.CodeCellPlan? {
            let planned = cells[index]
            let cell = planned.analysis
            let body = ImportPlanner.trimmedLines(cell.body)
            let saves = planned.produced.filter(\.isSaved)
            if cell.language != "python" {
                guard !body.isEmpty else { return nil }
                return ImportPlan.CodeCellPlan(id: planned.id, number: cell.number, language: cell.language, code: body.joined(separator: "\n") + "\n",
                                               inputs: planned.fileInputs, outputs: planned.fileOutputs, params: hasParams ? [] : nil,
                                               reads: [], saves: [])
            }
            let runnable = body.contains { line in
                let text = line.trimmingCharacters(in: .whitespaces)
                return !text.isEmpty && !text.hasPrefix("#")
            }
            // A cell of magics only goes, unless something in it needs the user's attention (a shell line to rewrite).
            guard runnable || !saves.isEmpty || cell.warnings.contains(where: { $0.severity == "warning" }) else { return nil }
            var imports: [String] = []
            var paramLines: [String] = []
            var loadLines: [String] = []
            var inputs: [String] = []
            var reads: [ImportPlan.Edge] = []
            var paramNames: [String] = []
            for version in planned.loads.versions.sorted(by: { $0.sequence < $1.sequence }) {
                switch version.kind {
                case .imports(let texts):
                    imports += texts.filter { !imports.contains($0) }
                case .param:
                    paramLines.append("\(version.name) = splitbook.params[\(ImportPlanner.pythonString(version.name))]")
                    paramNames.append(version.name)
                    reads.append(ImportPlan.Edge(name: version.name, from: nil))
                case .value, .function, .klass:
                    guard let path = version.path else { continue }
                    if version.mayBeMissing {
                        // The cell that made it may have left it undefined: then so does this one, as in Jupyter.
                        loadLines.append("\(version.name) = splitbook.load(\(ImportPlanner.pythonString(path)), default=splitbook.MISSING)")
                        loadLines.append("if \(version.name) is splitbook.MISSING: del \(version.name)")
                    } else {
                        loadLines.append("\(version.name) = splitbook.load(\(ImportPlanner.pythonString(path)))")
                    }
                    inputs.append(path)
                    reads.append(ImportPlan.Edge(name: version.name, from: cells[version.producer!].id))
                case .deleted:
                    continue
                }
            }
            imports += planned.setups
            // Jupyter ran in a directory where the output's folder existed; a cell's working directory starts empty.
            let folders = planned.fileOutputs.compactMap { path -> String? in
                guard let slash = path.lastIndex(of: "/") else { return nil }
                return String(path[..<slash])
            }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            var setupLines: [String] = []
            if !folders.isEmpty {
                if !imports.contains("import os") { setupLines.append("import os") }
                setupLines += folders.map { "os.makedirs(\(ImportPlanner.pythonString($0)), exist_ok=True)" }
            }
            var trailer: [String] = []
            if cell.plots { trailer.append("splitbook.show_figures()") }
            for version in saves {
                let value = version.mayBeMissing ? "globals().get(\(ImportPlanner.pythonString(version.name)), splitbook.MISSING)" : version.name
                trailer.append("splitbook.save(\(ImportPlanner.pythonString(version.path!)), \(value))")
            }
            let helper = !paramLines.isEmpty || !loadLines.isEmpty || !trailer.isEmpty || cell.display
            var preamble = cell.future
            if helper { preamble.append("import splitbook") }
            preamble += imports
            if planned.usesDisplay { preamble.append("from splitbook import show as display") }
            preamble += paramLines + loadLines + setupLines
            var lines: [String] = preamble
            if !preamble.isEmpty, !body.isEmpty { lines.append("") }
            lines += body
            if !trailer.isEmpty {
                if !body.isEmpty { lines.append("") }
                lines += trailer
            }
            return ImportPlan.CodeCellPlan(id: planned.id, number: cell.number, language: "python",
                                           code: lines.joined(separator: "\n") + "\n",
                                           inputs: inputs + planned.fileInputs.filter { !inputs.contains($0) },
                                           outputs: saves.map { $0.path! } + planned.fileOutputs,
                                           params: hasParams ? paramNames : nil, reads: reads, saves: saves.map(\.name))
        }

        // MARK: notebook level

        func title() -> String? {
            for cell in analysis.cells where cell.type == "markdown" {
                for line in cell.source.split(separator: "\n") {
                    let text = line.trimmingCharacters(in: .whitespaces)
                    if text.hasPrefix("# ") { return String(text.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
                    if !text.isEmpty { break }
                }
            }
            return nil
        }

        func environment() -> [(name: String, value: String)] {
            // Pickles of sets and dicts of strings depend on the hash seed: a fixed one makes a rerun's
            // bytes equal, so the cells downstream of it stay cached (early cutoff).
            var env: [(name: String, value: String)] = [("PYTHONHASHSEED", "0")]
            if analysis.analysis.contains(where: \.plots) { env.append(("MPLBACKEND", "Agg")) }
            for setting in analysis.analysis.flatMap(\.env) {
                env.removeAll { $0.name == setting.name }
                env.append((setting.name, setting.value))
            }
            return env
        }

        /// `%pip install` lines -> requirements; when there are some, the third-party modules the cells
        /// import that no line installs are added too (the environment holds only what is declared).
        mutating func requirements() -> [String]? {
            var texts: [String] = []
            var names: Set<String> = []
            func add(_ text: String, cell: Int?, line: Int) {
                let requirement = text.trimmingCharacters(in: .whitespaces)
                if let problem = ValuePattern.requirement.check(requirement) {
                    warnings.append(ImportWarning(.warning, cell: cell, line: line, "requirement '\(requirement)' \(problem): left out"))
                    return
                }
                let name = PythonRequirements.distributionName(requirement)
                if names.insert(name).inserted { texts.append(requirement) }
            }
            var pip = false
            for cell in analysis.analysis {
                for requirement in cell.requirements {
                    pip = true
                    add(requirement, cell: cell.number, line: 1)
                }
                for file in cell.requirementFiles {
                    pip = true
                    guard let text = context.readBesideNotebook(file) else {
                        warnings.append(ImportWarning(.warning, cell: cell.number, "`pip install -r \(file)`: cannot read \(file); its requirements are left out"))
                        continue
                    }
                    for line in text.split(separator: "\n") {
                        let requirement = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
                        if !requirement.isEmpty, !requirement.hasPrefix("-") { add(requirement, cell: cell.number, line: 1) }
                    }
                }
            }
            guard pip else { return nil }
            var added: [String] = []
            var seen: Set<String> = []
            for cell in analysis.analysis {
                for found in cell.imports where seen.insert(found.module).inserted {
                    let module = found.module
                    if StandardLibrary.contains(module) || module == "splitbook" || module.hasPrefix("_") { continue }
                    if context.existsBesideYAML(module + ".py") || context.existsBesideYAML(module) { continue }
                    let candidates = (analysis.distributions[module] ?? []).map(PythonRequirements.distributionName)
                        + [ImportCheck.knownModules[module], module].compactMap { $0 }.map(PythonRequirements.distributionName)
                    if candidates.contains(where: names.contains) { continue }
                    if let distribution = analysis.distributions[module]?.first ?? ImportCheck.knownModules[module] {
                        add(distribution, cell: cell.number, line: found.line)
                        added.append(distribution)
                    } else {
                        warnings.append(ImportWarning(.warning, cell: cell.number, line: found.line, column: found.col, length: module.count,
                                                      "imports '\(module)', which no `%pip install` line installs and this Python does not have",
                                                      notes: ["add the package that provides it to `python.requirements`"]))
                    }
                }
            }
            if !added.isEmpty {
                warnings.append(ImportWarning(.note, cell: nil, "added to `python.requirements` for imports no `%pip install` line names: "
                                              + added.joined(separator: ", "),
                                              notes: ["the cells run in an environment holding exactly the requirements and what they need; "
                                                      + "pin them if the notebook needs particular versions"]))
            }
            return texts
        }
    }

    // MARK: helpers

    /// A path as `inputs:`/`outputs:` take it (`./data//x.csv` -> `data/x.csv`), or nil when it leaves the directory.
    static func normalize(_ path: String) -> String? {
        guard !path.hasPrefix("/"), !path.hasPrefix("~") else { return nil }
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !parts.isEmpty, !parts.contains("..") else { return nil }
        return parts.joined(separator: "/")
    }

    /// The top-level module an import statement names (`import numpy as np` -> numpy).
    static func importedModule(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard words.count >= 2, words[0] == "import" || words[0] == "from" else { return nil }
        return words[1].split(separator: ".").first.map(String.init)
    }

    /// A Python string literal.
    static func pythonString(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, to: &out)
        return out
    }

    /// The lines of `text` without the blank ones at either end.
    static func trimmedLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).replacingOccurrences(of: "\r", with: "") }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        while let first = lines.first, first.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeFirst() }
        return lines.map { line in
            var line = line
            while line.hasSuffix(" ") || line.hasSuffix("\t") { line.removeLast() }
            return line
        }
    }
}

/// Cell ids from what the cells define: the first function or class, else the
/// first value it surely binds (`load_data`, `df`, `df-2`), `imports` for a cell of imports,
/// else `cell-N` (N: its position in the `.ipynb`).
struct CellIDs {
    var taken: Set<String> = []

    mutating func id(for cell: JupyterAnalysis.CodeCell) -> String {
        let code = cell.defs.filter { $0.kind == "function" || $0.kind == "class" }.map(\.name)
        // Values bound for sure: a loop's or a `with`'s variable (`for r in rows`) names no cell.
        let values = cell.defs.filter { $0.kind == "value" && $0.definite && !$0.name.hasPrefix("_") }.map(\.name)
        var base: String?
        if cell.language != "python" {
            base = nil
        } else if let name = (code + values).lazy.compactMap(CellIDs.slug).first {
            base = name
        } else if cell.parameters != nil {
            base = "parameters"
        } else if !cell.defs.isEmpty, cell.defs.allSatisfy({ $0.kind == "import" }) {
            base = "imports"
        }
        var id = base ?? "cell-\(cell.number)"
        if taken.contains(id) {
            var n = 2
            while taken.contains("\(id.prefix(60))-\(n)") { n += 1 }
            id = "\(id.prefix(60))-\(n)"
        }
        taken.insert(id)
        return id
    }

    /// A Python name as a cell id (`X_train` -> `x_train`), or nil when nothing of it fits.
    static func slug(_ name: String) -> String? {
        let lower = name.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
        var text = String(lower)
        while let first = text.first, !first.isLetter { text.removeFirst() }
        guard !text.isEmpty else { return nil }
        return String(text.prefix(48))
    }
}
