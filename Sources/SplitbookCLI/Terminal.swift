import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// Writing to the user's terminal, and the shared "load or fail with exit 2" step.
enum Terminal {
    static func error(_ text: String, newline: Bool = true) {
        guard !text.isEmpty else { return }
        FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
    }

    /// Reports a usage problem and returns the exit-2 error to throw.
    static func usage(_ message: String) -> ExitCode {
        error("error: \(message)")
        return invalidInput
    }

    /// Parses `-p name=value` arguments (values read as YAML).
    static func parseParams(_ assignments: [String]) throws -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
                throw usage("-p \(assignment): write -p name=value")
            }
            guard let value = JSONValue.parseYAML(String(assignment[assignment.index(after: eq)...])) else {
                throw usage("-p \(assignment): the value is not valid YAML")
            }
            params[String(assignment[..<eq])] = value
        }
        return params
    }

    /// Pretty JSON with sorted keys and ISO dates.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Loads a notebook and prints its diagnostics; exits 2 when it has errors.
    /// `registry` answers whether artifacts the notebook uses but does not publish exist.
    static func loadValid(_ path: String, registry: ArtifactRegistry? = nil) throws -> NotebookFile {
        let file: NotebookFile
        do {
            file = try NotebookFile(path: path, registryHas: { registry?.has($0) ?? false })
        } catch {
            Terminal.error("\(error)")
            throw invalidInput
        }
        error(file.renderedDiagnostics, newline: false)
        if file.check.hasErrors || file.check.notebook == nil { throw invalidInput }
        return file
    }

    /// Runs `body`; a problem with the notebook's environments (a located
    /// requirement error, a damaged lock, an interpreter that cannot be found)
    /// is printed and becomes exit 2.
    static func reportingEnvironmentErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch where ProcessGroups.shared.isInterrupted {
            Terminal.error("interrupted: nothing half-built was kept")
            throw ExitCode(130)
        } catch let error as EnvironmentError {
            Terminal.error(error.description, newline: false)
            throw invalidInput
        } catch let error as LockFileError {
            throw usage(error.description)
        } catch let error as InterpreterResolver.Failure {
            throw usage(error.description)
        }
    }
}
