import Foundation

/// `notebooks/NAME.lock` (CONTRACT §10): each distinct `python:` block of the
/// notebook resolved to exact pins. Written by splitbook, meant to be
/// committed and reviewed like `uv.lock`: JSON, sorted, one package per line
/// group, stable across rewrites that change nothing.
public struct LockFile: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format: Int = LockFile.currentFormat
    public var environments: [LockedEnvironment] = []

    public init(environments: [LockedEnvironment] = []) {
        self.environments = environments
    }

    /// `notebooks/NAME.lock` for `notebooks/NAME.yaml` (relative when the notebook's path is).
    public static func path(forNotebook path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return directory.isEmpty ? stem + ".lock" : directory + "/" + stem + ".lock"
    }

    /// The lock at `url`; an empty one when there is none. A file that is not
    /// a lock is an error (never silently replaced).
    public static func load(_ url: URL) throws -> LockFile {
        guard let data = FileManager.default.contents(atPath: url.path) else { return LockFile() }
        do {
            let lock = try JSONDecoder().decode(LockFile.self, from: data)
            guard lock.format == currentFormat else {
                throw LockFileError(description: "\(url.path): lock format \(lock.format) is not \(currentFormat); delete it and run `splitbook lock`")
            }
            return lock
        } catch let error as LockFileError {
            throw error
        } catch {
            throw LockFileError(description: "\(url.path) is not a splitbook lock file (\(error)); delete it and run `splitbook lock`")
        }
    }

    public var encoded: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }

    /// The locked environment for these requirements on this Python minor version.
    public func environment(requirements: [String], python: String) -> LockedEnvironment? {
        environments.first { $0.requirements == requirements && $0.python == python }
    }
}

/// One resolved `python:` block: what was asked for and the exact packages that satisfy it.
public struct LockedEnvironment: Codable, Sendable, Equatable {
    /// The requirements as written, in order.
    public var requirements: [String]
    /// The Python minor version it was resolved for (`3.11`).
    public var python: String
    /// The interpreter version it was resolved with (`3.11.7`): the exported images' base.
    public var interpreter: String
    /// Every distribution installed, dependencies included, sorted by name.
    public var packages: [InstalledPackage]

    public init(requirements: [String], python: String, interpreter: String, packages: [InstalledPackage]) {
        self.requirements = requirements
        self.python = python
        self.interpreter = interpreter
        self.packages = packages.sorted { $0.name < $1.name }
    }

    /// What the environment's contents depend on: the Python minor version
    /// and the pins (not how they were asked for, nor the modules listing).
    public var digest: Digest {
        Digest.of("splitbook-environment 1\npython \(python)\n" + packages.map { $0.pin + "\n" }.joined())
    }

    /// The pins as a requirements file (`pip install --no-deps -r`).
    public var pinsText: String { packages.map { $0.pin + "\n" }.joined() }
}

public struct LockFileError: Error, CustomStringConvertible {
    public let description: String
}

/// `3.11` for `3.11.7`.
func minorVersion(_ version: String) -> String {
    version.split(separator: ".").prefix(2).joined(separator: ".")
}
