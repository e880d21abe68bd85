import ArgumentParser
import Foundation
import SplitbookEngine

/// `splitbook cache stats|gc|verify`.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect the cache, or remove results nothing needs any more.",
        discussion: """
        Example:
          splitbook cache stats
          splitbook cache gc --keep-last 5
          splitbook cache verify --repair
        """,
        subcommands: [Stats.self, GC.self, Verify.self]
    )

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats", abstract: "Show what the cache holds.", discussion: "Example:\n  splitbook cache stats")
        @OptionGroup var outputs: OutputsOption
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let stats = CacheCollector(workspace: try outputs.workspace()).stats()
            if json { return print(Terminal.json(stats)) }
            print("objects: \(stats.objects) (\(Self.bytes(stats.objectBytes)))")
            print("cache entries: \(stats.entries)")
            print("runs: \(stats.runs) of \(stats.notebooks.count) notebook\(stats.notebooks.count == 1 ? "" : "s")")
        }

        static func bytes(_ n: Int64) -> String {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var value = Double(n), unit = 0
            while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
            return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove cached results except those of each notebook's last N runs.",
            discussion: "Results of older runs (and the objects only they use) are deleted; the next run that needs one reruns its cell.\n\nExample:\n  splitbook cache gc --keep-last 3")
        @Option(help: "How many recent runs per notebook to keep results for.")
        var keepLast = 1
        @OptionGroup var locations: Locations

        func validate() throws {
            guard keepLast >= 0 else { throw ValidationError("--keep-last must be 0 or more") }
        }

        func run() throws {
            let workspace = try locations.outputs.workspace()
            let lock = try workspace.lock { Terminal.error("waiting for another splitbook run (\($0)) to finish with this outputs directory...") }
            defer { withExtendedLifetime(lock) {} }
            let result = try CacheCollector(workspace: workspace).collect(keepLast: keepLast)
            try? locations.artifactRegistry.sweep()
            print("removed \(result.entriesRemoved) cache entries, \(result.objectsRemoved) objects (\(Stats.bytes(result.bytesFreed))), "
                  + "\(result.runsRemoved) run records, \(result.environmentsRemoved) Python environments")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Rehash every stored object and read every cache entry; report what is damaged.",
            discussion: """
            Runs check each object before restoring it, so a damaged store never restores a wrong byte; \
            this reads the whole store at once. Exit status 1 when something is wrong and --repair was not given.

            Example:
              splitbook cache verify
              splitbook cache verify --repair
            """)
        @Flag(help: "Move damaged objects aside and remove unreadable entries; the cells that made them rerun next time.")
        var repair = false
        @OptionGroup var outputs: OutputsOption
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let workspace = try outputs.workspace()
            let lock = try workspace.lock { Terminal.error("waiting for another splitbook run (\($0)) to finish with this outputs directory...") }
            defer { withExtendedLifetime(lock) {} }
            let report = StoreAudit(workspace: workspace).run(repair: repair)
            if json {
                print(Terminal.json(report))
            } else {
                print("checked \(report.objects) objects (\(Stats.bytes(report.bytes))), \(report.entries) cache entries, \(report.states) state files")
                for finding in report.findings {
                    print("\(finding.kind): \(finding.path): \(finding.detail)" + (finding.repaired ? " (repaired)" : ""))
                }
                if report.findings.isEmpty {
                    print("no problems found")
                } else if !repair {
                    print("\(report.findings.count) problem\(report.findings.count == 1 ? "" : "s") found; `splitbook cache verify --repair` moves damaged objects aside and the cells that made them rerun")
                }
            }
            if !report.findings.isEmpty, !repair { throw ExitCode(1) }
        }
    }
}
