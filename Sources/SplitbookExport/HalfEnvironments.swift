import Foundation
import SplitbookEngine
import SplitbookSpec

/// The locked environments a half's Python cells run in, as an export
/// carries them (CONTRACT §10): the half's part of the lock (`notebook.lock`
/// beside `notebook.yaml`, so that `splitbook serve` builds the same
/// environment), one pins file per environment (`requirements/KEY.txt`, what
/// the image installs and `run.sh` checks), and the interpreter version the
/// notebook ran with (the image's base).
struct HalfEnvironments {
    /// One environment: its short key, its pins, and the cells that run in it.
    struct Entry {
        let key: String
        let locked: LockedEnvironment
        var cells: [CellID]

        var pinsFile: String { "requirements/\(key).txt" }
        /// Where the image installs it.
        var imagePath: String { "/opt/splitbook/envs/\(key)" }
        /// The variable naming its Python in run.sh.
        var variable: String { "PYTHON_\(key.uppercased())" }
    }

    let entries: [Entry]
    /// The half's part of the lock.
    let lock: LockFile
    /// The requirement texts of each `python:` block the half uses, by the block's position.
    private let requirements: [SourceRange: [String]]

    static let none = HalfEnvironments(entries: [], lock: LockFile(), requirements: [:])

    /// The environments of `half`'s Python cells, from the notebook's lock; an
    /// error names a block the lock does not cover (run or lock first).
    static func make(file: NotebookFile, half: NotebookHalf) throws -> HalfEnvironments {
        let cells = half.codeCells.filter { half.notebook.pythonSpec(of: $0) != nil }
        guard !cells.isEmpty else { return .none }
        let lockPath = LockFile.path(forNotebook: file.source.path)
        let lock = try LockFile.load(URL(fileURLWithPath: lockPath))
        var entries: [Entry] = []
        var requirements: [SourceRange: [String]] = [:]
        for cell in cells {
            let spec = half.notebook.pythonSpec(of: cell)!
            let texts = try PythonRequirements.read(spec, notebook: file.source, directory: file.directory).texts
            requirements[spec.keyRange] = texts
            guard let locked = lock.environments.first(where: { $0.requirements == texts }) else {
                throw ExportError("\(lockPath) does not lock the requirements of cell '\(cell.id.value)' (\(texts.joined(separator: ", "))): "
                                  + "run `splitbook lock \(file.source.path)` first, and commit the lock")
            }
            let key = String(locked.digest.hex.prefix(8))
            if let i = entries.firstIndex(where: { $0.key == key }) {
                entries[i].cells.append(cell.id.value)
            } else {
                entries.append(Entry(key: key, locked: locked, cells: [cell.id.value]))
            }
        }
        return HalfEnvironments(entries: entries, lock: LockFile(environments: entries.map(\.locked)), requirements: requirements)
    }

    /// The environment cell `id` runs in, if it has one.
    func entry(for id: CellID) -> Entry? { entries.first { $0.cells.contains(id) } }

    /// A `python:` block's requirements as the exported notebook writes them:
    /// inline (a requirements file is read), so that the lock matches them.
    func requirements(of spec: PythonSpec) -> [String]? { requirements[spec.keyRange] }

    /// The interpreter version the environments were locked with (`3.11.7`), for the image's base.
    var interpreter: String? { entries.first?.locked.interpreter }

    /// Writes `notebook.lock` and the pins files into an export.
    func write(into out: inout ExportDirectory) throws {
        guard !entries.isEmpty else { return }
        try out.write(String(decoding: lock.encoded, as: UTF8.self), to: "notebook.lock")
        for entry in entries {
            try out.write("# The packages of cells \(entry.cells.map(\.rawValue).joined(separator: ", ")), exactly as "
                          + "notebook.lock pins them (Python \(entry.locked.python)).\n" + entry.locked.pinsText, to: entry.pinsFile)
        }
    }
}
