import Foundation
import SplitbookSpec

/// The requirements of one `python:` block, read (from the notebook or its
/// requirements file) and located, so that an installer's complaint about one
/// of them can point at the line that asked for it.
public struct PythonRequirements: Sendable {
    /// One requirement as written, and where.
    public struct Item: Sendable {
        public var text: String
        /// The distribution it names, normalised (`scikit-learn`).
        public var name: String
        public var range: SourceRange
    }

    public var items: [Item]
    /// The text the items were written in (the notebook or the requirements file).
    public var source: SourceText
    /// The `version:` the environment needs, if any.
    public var version: Located<String>?
    /// Where to point when no single requirement is to blame.
    public var blockRange: SourceRange

    /// The requirement texts, in order: what the lock compares.
    public var texts: [String] { items.map(\.text) }

    /// Reads `spec`; a requirements file's lines are read here (comments and
    /// blank lines skipped; installer options are refused at their line).
    public static func read(_ spec: PythonSpec, notebook: SourceText, directory: URL) throws(EnvironmentError) -> PythonRequirements {
        switch spec.requirements {
        case .list(let items):
            return PythonRequirements(items: items.map { Item(text: $0.value.trimmingCharacters(in: .whitespaces),
                                                              name: distributionName($0.value), range: $0.range) },
                                      source: notebook, version: spec.version, blockRange: spec.keyRange)
        case .file(let path):
            let url = directory.appendingPathComponent(path.value.rawValue)
            guard let data = FileManager.default.contents(atPath: url.path),
                  let text = try? SourceText(path: url.path, bytes: [UInt8](data)) else {
                throw EnvironmentError([Diagnostic(.missingSource, "cannot read the requirements file '\(path.value)'", at: path.range)],
                                       source: notebook)
            }
            var items: [Item] = []
            var problems: [Diagnostic] = []
            for (index, rawLine) in text.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                let requirement = line.trimmingCharacters(in: .whitespaces)
                guard !requirement.isEmpty else { continue }
                let column = line.prefix { $0 == " " || $0 == "\t" }.count + 1
                let range = SourceRange(start: SourceLocation(line: index + 1, column: column),
                                        end: SourceLocation(line: index + 1, column: column + requirement.count))
                if let problem = ValuePattern.requirement.check(requirement) {
                    problems.append(Diagnostic(.invalidRequirement, "'\(requirement)' \(problem)", at: range))
                } else {
                    items.append(Item(text: requirement, name: distributionName(requirement), range: range))
                }
            }
            guard problems.isEmpty else { throw EnvironmentError(problems, source: text) }
            return PythonRequirements(items: items, source: text, version: spec.version, blockRange: path.range)
        }
    }

    /// The distribution a requirement names: its leading name, normalised.
    static func distributionName(_ requirement: String) -> String {
        let name = requirement.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        return InstalledPackage.normalize(String(name))
    }

    /// The requirement an installer's message is about: the first whose
    /// distribution the message names (as pip and uv spell it).
    func blamed(by message: String) -> Item? {
        let words = Set(message.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
            .map { InstalledPackage.normalize(String($0)) })
        return items.first { words.contains($0.name) }
    }
}

/// A problem with a notebook's environment, located in the text it concerns
/// (the notebook or a requirements file), rendered like the checker's.
public struct EnvironmentError: Error, CustomStringConvertible {
    public let diagnostics: [Diagnostic]
    public let source: SourceText

    public init(_ diagnostics: [Diagnostic], source: SourceText) {
        self.diagnostics = diagnostics
        self.source = source
    }

    public var description: String { DiagnosticRenderer(source: source).render(diagnostics) }
}
