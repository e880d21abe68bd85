import ArgumentParser
import Foundation
import SplitbookEngine

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

    /// Loads a notebook and prints its diagnostics; exits 2 when it has errors.
    static func loadValid(_ path: String) throws -> NotebookFile {
        let file: NotebookFile
        do {
            file = try NotebookFile(path: path)
        } catch {
            Terminal.error("\(error)")
            throw invalidInput
        }
        error(file.renderedDiagnostics, newline: false)
        if file.check.hasErrors || file.check.notebook == nil { throw invalidInput }
        return file
    }
}
