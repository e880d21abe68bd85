import Foundation
import SplitbookSpec

/// CONTRACT §10: a Python cell that imports a module which is neither the
/// standard library, nor provided by its lock, nor one of its inputs works on
/// this machine and breaks in the exported job. `check` warns at the import.
public enum ImportCheck {
    /// Warnings, grouped by the text they point into (the notebook, or a cell's code file).
    public static func warnings(_ file: NotebookFile) -> [(source: SourceText, diagnostics: [Diagnostic])] {
        guard let notebook = file.check.notebook else { return [] }
        let lock = (try? LockFile.load(URL(fileURLWithPath: LockFile.path(forNotebook: file.source.path)))) ?? LockFile()
        var inNotebook: [Diagnostic] = []
        var inFiles: [(SourceText, [Diagnostic])] = []
        for cell in notebook.codeCells where cell.language == .python {
            let provided = modules(for: cell, notebook: notebook, lock: lock, file: file)
            let declared = notebook.pythonSpec(of: cell) != nil
            switch cell.source {
            case .inline(let code):
                guard let range = cell.sourceRange else { continue }
                let place = CodePlacement(source: file.source, valueRange: range)
                inNotebook += unprovided(code, cell: cell, provided: provided, declared: declared) { place.range(line: $0, column: $1, length: $2) }
            case .file(let path):
                let url = file.directory.appendingPathComponent(path.value.rawValue)
                guard let data = FileManager.default.contents(atPath: url.path),
                      let text = try? SourceText(path: file.directory.path == "." ? path.value.rawValue : url.path, bytes: [UInt8](data))
                else { continue }
                let found = unprovided(text.text, cell: cell, provided: provided, declared: declared) { line, column, length in
                    SourceRange(start: SourceLocation(line: line, column: column), end: SourceLocation(line: line, column: column + length))
                }
                if !found.isEmpty { inFiles.append((text, found)) }
            }
        }
        return (inNotebook.isEmpty ? [] : [(file.source, inNotebook)]) + inFiles
    }

    /// The top-level modules a cell may import besides the standard library:
    /// its lock's, its inputs' (a `lib/features.py` input makes `features`
    /// and `lib` importable), and splitbook's helper.
    static func modules(for cell: CodeCell, notebook: Notebook, lock: LockFile, file: NotebookFile) -> Set<String> {
        var names: Set<String> = ["splitbook"]
        for input in cell.inputs {
            for component in input.value.components {
                names.insert(String(component.hasSuffix(".py") ? component.dropLast(3) : component[...]))
            }
        }
        guard let spec = notebook.pythonSpec(of: cell),
              let requirements = try? PythonRequirements.read(spec, notebook: file.source, directory: file.directory) else { return names }
        let locked = lock.environments.first { $0.requirements == requirements.texts }
        for package in locked?.packages ?? [] {
            names.formUnion(package.modules ?? [])
            names.insert(package.name.replacingOccurrences(of: "-", with: "_"))
        }
        // Not locked yet: the requirements' own names, and the modules they are known to provide.
        for item in requirements.items {
            names.insert(item.name.replacingOccurrences(of: "-", with: "_"))
            names.formUnion(knownModules.filter { $0.value == item.name }.map(\.key))
        }
        return names
    }

    /// Modules whose distribution is named otherwise (the commonest in ML code).
    static let knownModules: [String: String] = [
        "sklearn": "scikit-learn", "yaml": "pyyaml", "cv2": "opencv-python", "PIL": "pillow", "bs4": "beautifulsoup4",
        "skimage": "scikit-image", "dateutil": "python-dateutil", "sqlite_vec": "sqlite-vec", "google": "protobuf",
    ]

    private static func unprovided(_ code: String, cell: CodeCell, provided: Set<String>, declared: Bool,
                                   range: (Int, Int, Int) -> SourceRange) -> [Diagnostic] {
        var seen = Set<String>()
        return PythonImports.scan(code).compactMap { found in
            guard !StandardLibrary.contains(found.module), !provided.contains(found.module), seen.insert(found.module).inserted else { return nil }
            let package = knownModules[found.module] ?? found.module
            let fix = declared
                ? Diagnostic.Note("add the package that provides it to the cell's `python` requirements (and `splitbook lock`):",
                                  snippet: "requirements: [..., \(package)]")
                : Diagnostic.Note("declare the packages the Python cells import; `splitbook run` then locks and installs them:",
                                  snippet: "python:\n  requirements: [\(package)]")
            return Diagnostic(.unlockedImport, .warning,
                              "cell '\(cell.id.value)' imports '\(found.module)', which is neither the standard library, "
                              + (declared ? "nor in its lock" : "nor declared in a `python` block") + ", nor one of its inputs",
                              at: range(found.line, found.column, found.module.count),
                              notes: [Diagnostic.Note("it works here only because this machine has it installed; the exported job "
                                                      + "and serving image install exactly the lock, so there it fails with ModuleNotFoundError"),
                                      fix])
        }
    }
}

/// Maps a position in an inline `code:` value to the notebook: a literal block
/// (`code: |`) keeps its lines, indented; any other style points at the value.
struct CodePlacement {
    let source: SourceText
    let valueRange: SourceRange

    func range(line: Int, column: Int, length: Int) -> SourceRange {
        let start = valueRange.start
        let lines = source.lines([start.line, start.line + 1])
        let header = lines[start.line] ?? ""
        let indicator = header.dropFirst(max(0, start.column - 1)).first
        guard indicator == "|", let first = lines[start.line + 1] else { return valueRange }
        let indent = first.prefix { $0 == " " }.count
        let target = start.line + line
        return SourceRange(start: SourceLocation(line: target, column: indent + column),
                           end: SourceLocation(line: target, column: indent + column + length))
    }
}
