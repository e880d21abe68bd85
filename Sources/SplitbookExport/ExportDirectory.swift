import Foundation
import SplitbookEngine

/// Why an export could not be written.
public struct ExportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An export being assembled: files are written into a staging directory
/// beside the target, which then replaces the target in one rename, so a
/// failed or interrupted export never leaves a half-written directory. A
/// target that exists must be empty or an earlier splitbook export (it holds
/// the marker file); anything else is refused rather than deleted.
struct ExportDirectory {
    static let marker = ".splitbook-export"

    let target: URL
    let staging: URL
    private(set) var files: [String] = []

    init(target: URL, kind: String) throws {
        self.target = target.standardizedFileURL
        let fm = FileManager.default
        let contents = (try? fm.contentsOfDirectory(atPath: self.target.path)) ?? []
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: self.target.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ExportError("\(target.path) exists and is not a directory") }
            guard contents.isEmpty || contents.contains(Self.marker) else {
                throw ExportError("\(target.path) exists and is not a splitbook export; choose another -o directory or remove it")
            }
        }
        let parent = self.target.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(self.target.lastPathComponent).tmp-\(getpid())")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try? fm.removeItem(at: staging)
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw ExportError("cannot create \(staging.path): \(error.localizedDescription)")
        }
        try write("splitbook export: \(kind)\n", to: Self.marker)
    }

    mutating func write(_ text: String, to relative: String, executable: Bool = false) throws {
        let url = staging.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            if executable { chmod(url.path, 0o755) }
        } catch {
            throw ExportError("cannot write \(url.path): \(error.localizedDescription)")
        }
        if relative != Self.marker { files.append(relative) }
    }

    /// Copies a file or directory from the notebook's directory.
    mutating func copy(_ source: URL, to relative: String) throws {
        let url = staging.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: url)
        } catch {
            throw ExportError("cannot copy \(source.path): \(error.localizedDescription)")
        }
        files.append(relative)
    }

    /// Swaps the staged directory in for the target.
    func commit() throws {
        let fm = FileManager.default
        let old = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).old-\(getpid())")
        let hadTarget = fm.fileExists(atPath: target.path)
        if hadTarget, rename(target.path, old.path) != 0 {
            throw ExportError("cannot replace \(target.path): \(String(cString: strerror(errno)))")
        }
        guard rename(staging.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadTarget { rename(old.path, target.path) }
            throw ExportError("cannot move the export into \(target.path): \(reason)")
        }
        if hadTarget { try? fm.removeItem(at: old) }
    }

    /// Removes the staging directory after a failure.
    func abandon() { try? FileManager.default.removeItem(at: staging) }
}
