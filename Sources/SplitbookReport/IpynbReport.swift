import Foundation
import SplitbookEngine
import SplitbookSpec

/// The run as a Jupyter notebook (nbformat 4.5), a record that is also a
/// program. As a record: markdown cells as they are, code cells with their
/// captured output, display items and samples as outputs, `offline` /
/// `online` as cell tags, and splitbook's view of each cell (status, timing,
/// key, publications) under `metadata.splitbook`. As a program: a first cell
/// saying so, the run's params in a cell tagged `parameters` (papermill's
/// convention), and a setup cell (`IpynbSetupCell`) after which Run All runs
/// every code cell as splitbook ran it. Shell cells get a `%%sh` / `%%bash`
/// first line so they also run in a Python kernel.
public struct IpynbReport {
    /// Where the run's notebook folder and registry are, recorded in the
    /// notebook so that its cells find their source files and artifacts.
    public struct Origin: Sendable {
        public var notebookDirectory: URL
        public var registry: URL
        /// The pins of the notebook's lock file (every environment's, once each).
        var lockedPackages: [InstalledPackage]
        /// The Python version the lock was resolved with.
        var lockedPython: String?

        /// The notebook at `notebookPath` (relative to the current directory, or absolute) and the registry at `registry`.
        public init(notebookPath: String, registry: URL) {
            let notebook = URL(fileURLWithPath: notebookPath).standardizedFileURL
            notebookDirectory = notebook.deletingLastPathComponent()
            self.registry = registry.standardizedFileURL
            let lock = try? LockFile.load(URL(fileURLWithPath: LockFile.path(forNotebook: notebook.path)))
            var seen: Set<String> = []
            lockedPackages = (lock?.environments ?? []).flatMap(\.packages).filter { seen.insert($0.name).inserted }
            lockedPython = lock?.environments.first?.interpreter
        }
    }

    public let document: RunDocument
    public let origin: Origin

    public init(document: RunDocument, origin: Origin) {
        self.document = document
        self.origin = origin
    }

    public var json: String { notebook.prettyJSON(indent: " ") + "\n" }

    var notebook: JSONValue {
        let introduction = IpynbIntroduction(document: document, origin: origin)
        var cells: [JSONValue] = [
            .object(["cell_type": .string("markdown"), "id": .string("about"), "metadata": .object([:]),
                     "source": .string(introduction.markdown)]),
            Self.programCell(id: "parameters", tags: ["parameters"], source: introduction.parameters),
            Self.programCell(id: "splitbook-setup", tags: ["splitbook-setup"], source: IpynbSetupCell(document: document, origin: origin).source,
                             hidden: true),
        ]
        var markdownCount = 0
        var executionCount = 0
        for item in document.items {
            switch item {
            case .markdown(let text):
                markdownCount += 1
                cells.append(.object(["cell_type": .string("markdown"), "id": .string("MD-\(markdownCount)"), "metadata": .object([:]),
                                      "source": .string(text)]))
            case .code(let code):
                let ran = code.result.map { $0.status == .ran || $0.status == .cached } ?? false
                if ran { executionCount += 1 }
                cells.append(.object([
                    "cell_type": .string("code"),
                    "id": .string(code.id),
                    "metadata": .object(["tags": .array([.string(code.cell.stage.rawValue)]), "splitbook": Self.metadata(code)]),
                    "execution_count": ran ? .int(executionCount) : .null,
                    "source": .string(Self.source(code, origin: origin)),
                    "outputs": .array(Self.outputs(code)),
                ]))
            }
        }
        let run = document.run
        return .object([
            "nbformat": .int(4),
            "nbformat_minor": .int(5),
            "metadata": .object([
                "kernelspec": .object(["name": .string("python3"), "display_name": .string("Python 3"), "language": .string("python")]),
                "language_info": .object(["name": .string("python")]),
                "title": .string(document.notebook.title ?? document.notebook.name),
                "splitbook": .object([
                    "notebook": .string(run.notebook), "notebookPath": .string(run.notebookPath), "runID": .string(run.runID),
                    "startedAt": .string(ISOTime.string(run.startedAt)), "duration": .double(run.duration),
                    "params": .object(run.params.mapValues { JSONValue.parseJSON(Data($0.utf8)) ?? .string($0) }),
                ]),
            ]),
            "cells": .array(cells),
        ])
    }

    /// A code cell of the notebook's own (the params, the setup), not one of splitbook's: never run, no outputs.
    private static func programCell(id: String, tags: [String], source: String, hidden: Bool = false) -> JSONValue {
        var metadata: [String: JSONValue] = ["tags": .array(tags.map { .string($0) })]
        if hidden { metadata["jupyter"] = .object(["source_hidden": .bool(true)]) }
        return .object(["cell_type": .string("code"), "id": .string(id), "metadata": .object(metadata),
                        "execution_count": .null, "source": .string(source), "outputs": .array([])])
    }

    /// The run's params in the notebook's order, as typed values: the default where the run used it
    /// (JSON text loses `1.0`'s type, which a cell may see), else the value the run recorded.
    static func params(of document: RunDocument) -> [(name: String, value: JSONValue)] {
        document.notebook.params.map { param in
            let name = param.name.value
            guard let text = document.run.params[name], text != param.value.canonicalJSON,
                  var value = JSONValue.parseJSON(Data(text.utf8)) else { return (name, param.value) }
            if case .int(let i) = value, text.contains(where: { ".eE".contains($0) }) { value = .double(Double(i)) }
            return (name, value)
        }
    }

    /// A code cell's source as the notebook holds it: as written (a `file:` cell's file, read from the
    /// notebook's folder), after a cell magic for a language other than Python.
    static func source(_ code: RunDocument.CodeItem, origin: Origin) -> String {
        var text = code.code
        if case .file(let path) = code.cell.source,
           let data = FileManager.default.contents(atPath: origin.notebookDirectory.appendingPathComponent(path.value.rawValue).path) {
            text = String(decoding: data, as: UTF8.self)
        }
        switch code.cell.language {
        case .python: return text
        case .sh: return "%%sh\n" + text
        case .bash: return "%%bash\n" + text
        default: return "%%script " + code.cell.command.joined(separator: " ") + "\n" + text
        }
    }

    /// How the setup cell recognises a cell by its source (trailing newlines aside, which editors may drop).
    static func sourceDigest(_ source: String) -> String {
        var text = Substring(source)
        while text.hasSuffix("\n") { text = text.dropLast() }
        return Digest.of(String(text)).hex
    }
}
