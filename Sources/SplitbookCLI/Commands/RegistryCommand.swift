import ArgumentParser
import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook registry list|show|promote|rollback|path`.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Inspect the artifact registry, the bridge between the offline and the online half.",
        discussion: """
        Offline cells publish versions (1, 2, ...) with their lineage; the alias 'latest' follows the
        newest publication, other aliases (e.g. production) move only when you promote.

        Example:
          splitbook registry list
          splitbook registry show doc_index
          splitbook registry promote doc_index@3 production
          splitbook registry rollback doc_index production
        """,
        subcommands: [List.self, Show.self, Promote.self, Rollback.self, Path.self]
    )


    static func reference(_ text: String) throws -> ArtifactReference {
        guard let reference = ValuePattern.parseArtifactReference(text) else {
            throw Terminal.usage("'\(text)' is not an artifact reference (NAME, NAME@VERSION or NAME@ALIAS)")
        }
        return reference
    }

    static func fail(_ error: Error) -> ExitCode {
        Terminal.error("error: \(error)")
        return ExitCode(1)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List artifacts with their versions and aliases.",
            discussion: "Example:\n  splitbook registry list")
        @OptionGroup var location: Locations

        func run() {
            let registry = location.artifactRegistry
            let names = registry.artifacts
            if names.isEmpty { return print("the registry at \(registry.root.path) is empty") }
            for name in names {
                let aliases = registry.aliases(name).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                print("\(name.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(registry.versions(name).count) versions  \(aliases)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show an artifact's versions, lineage and alias history.",
            discussion: "Example:\n  splitbook registry show doc_index")
        @Argument(help: "The artifact name.") var name: String
        @OptionGroup var location: Locations

        func run() throws {
            let registry = location.artifactRegistry
            let artifact = try RegistryCommand.reference(name).name
            guard registry.has(artifact) else { throw RegistryCommand.fail(ArtifactRegistry.Problem(description: "no artifact '\(artifact)' in \(registry.root.path)")) }
            let aliases = registry.aliases(artifact)
            print("\(artifact) in \(registry.root.path)")
            for version in registry.versions(artifact).reversed() {
                let tags = aliases.filter { $0.value == version }.keys.sorted()
                guard let l = registry.lineage(artifact, version) else { print("  v\(version)  (no lineage)"); continue }
                print("  v\(version)\(tags.isEmpty ? "" : "  [" + tags.joined(separator: ", ") + "]")  \(l.kind) \(l.size) bytes  content \(l.contentHash.short)")
                print("      from \(l.notebook)/\(l.cell), run \(l.runID), \(l.stepKey.map { "step \($0.short)" } ?? "published by run.sh"), \(ISO8601DateFormatter().string(from: l.publishedAt))")
                if !l.params.isEmpty { print("      params " + l.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
            }
            let history = registry.history(artifact)
            if !history.isEmpty {
                print("history:")
                for e in history.suffix(10) { print("  \(ISO8601DateFormatter().string(from: e.time))  \(e.action) v\(e.version) \(e.alias)  \(e.note)") }
            }
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote", abstract: "Point an alias at a version (e.g. production).",
            discussion: "Example:\n  splitbook registry promote churn_model@4 production")
        @Argument(help: "NAME@VERSION") var version: String
        @Argument(help: "The alias to move.") var alias: String
        @OptionGroup var location: Locations

        func run() throws {
            let reference = try RegistryCommand.reference(version)
            guard case .version(let number) = reference.selector else {
                throw Terminal.usage("give the version to promote as NAME@VERSION, e.g. \(reference.name)@3")
            }
            guard ValuePattern.parseArtifactReference("x@\(alias)")?.selector == .alias(alias), alias != "latest" else {
                throw Terminal.usage("'\(alias)' cannot be set by hand: aliases are lowercase words, and 'latest' follows publishing")
            }
            do {
                try location.artifactRegistry.promote(reference.name, version: number, alias: alias)
            } catch {
                throw RegistryCommand.fail(error)
            }
            print("\(reference.name)@\(alias) -> v\(number)")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback", abstract: "Move an alias back to the version it pointed to before.",
            discussion: "Example:\n  splitbook registry rollback churn_model production")
        @Argument(help: "The artifact name.") var name: String
        @Argument(help: "The alias (default: production).") var alias: String = "production"
        @OptionGroup var location: Locations

        func run() throws {
            let artifact = try RegistryCommand.reference(name).name
            do {
                let version = try location.artifactRegistry.rollback(artifact, alias: alias)
                print("\(artifact)@\(alias) -> v\(version)")
            } catch {
                throw RegistryCommand.fail(error)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "path", abstract: "Print the path of an artifact version's content.",
            discussion: "Example:\n  cat \"$(splitbook registry path doc_index@production)\"")
        @Argument(help: "NAME, NAME@VERSION or NAME@ALIAS") var reference: String
        @OptionGroup var location: Locations

        func run() throws {
            let registry = location.artifactRegistry
            let parsed = try RegistryCommand.reference(reference)
            do {
                print(registry.contentPath(parsed.name, try registry.resolve(parsed)).path)
            } catch {
                throw RegistryCommand.fail(error)
            }
        }
    }
}
