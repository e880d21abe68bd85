import Foundation
import SplitbookTestSupport
import Testing

/// Two cells: `a` writes ten lines, `b` counts them; `t` writes a directory.
let countingChain = """
    cells:
      - id: a
        outputs: [a.txt]
        code: seq 1 10 > a.txt
      - id: b
        inputs: [a.txt]
        outputs: [b.txt]
        code: wc -l < a.txt | tr -d ' ' > b.txt
      - id: t
        outputs: [tree]
        code: |
          mkdir -p tree/sub
          seq 1 100 > tree/sub/hundred.txt
          echo top > tree/top.txt
      - id: u
        inputs: [tree]
        outputs: [u.txt]
        code: wc -l < tree/sub/hundred.txt | tr -d ' ' > u.txt
    """

/// What the store keeps, opened up for damaging (the tests run as the same user as the tool).
struct StoreFiles {
    let project: Project
    var objects: URL { project.url.appendingPathComponent("outputs/.splitbook/objects") }

    /// The object holding exactly `content`.
    func object(holding content: String) throws -> URL {
        for name in try FileManager.default.contentsOfDirectory(atPath: objects.path) {
            let url = objects.appendingPathComponent(name)
            if (try? String(contentsOf: url, encoding: .utf8)) == content { return url }
        }
        throw StoreTestError.noObject(content)
    }

    /// Replaces an object's bytes (it is read-only) and, with `keepTimes`, puts its mtime back.
    func damage(_ url: URL, with bytes: String, keepTimes: Bool = false) throws {
        let before = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as! Date
        chmod(url.path, 0o644)
        try Data(bytes.utf8).write(to: url)
        chmod(url.path, 0o444)
        if keepTimes { try FileManager.default.setAttributes([.modificationDate: before], ofItemAtPath: url.path) }
    }
}

enum StoreTestError: Error { case noObject(String) }

let tenLines = (1...10).map { "\($0)\n" }.joined()
let hundredLines = (1...100).map { "\($0)\n" }.joined()

@Suite("The store never restores a damaged byte (the real binary)")
struct StoreIntegrityTests {
    @Test func aTruncatedObjectIsNotRestoredAndItsCellReruns() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run(["--only", "a"]).ran == ["a"])
        let store = StoreFiles(project: p)
        try store.damage(try store.object(holding: tenLines), with: "")

        let rerun = try p.run()
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(rerun.cell("a")?.status == "ran")
        #expect(rerun.cell("a")?.reasons == ["object for cell a, a.txt, was damaged; rerunning a"])
        #expect(p.read("outputs/nb/b.txt") == "10\n")
        #expect(p.read("outputs/nb/a.txt") == tenLines)
        let aside = try FileManager.default.contentsOfDirectory(atPath: p.url.appendingPathComponent("outputs/.splitbook/damaged").path)
        #expect(aside.count == 1)
        // Reported once: the damaged object is gone, the next run is all cached.
        let again = try p.run()
        #expect(again.ran.isEmpty)
        #expect(again.report?.cells.allSatisfy { $0.reasons.isEmpty } == true)
    }

    @Test func aSameSizeFlipWithItsTimeRestoredIsCaught() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let store = StoreFiles(project: p)
        let flipped = tenLines.replacingOccurrences(of: "7", with: "9")
        try store.damage(try store.object(holding: tenLines), with: flipped, keepTimes: true)
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("outputs/nb"))

        let rerun = try p.run()
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(rerun.cell("a")?.status == "ran")
        #expect(p.read("outputs/nb/a.txt") == tenLines)
        #expect(p.read("outputs/nb/b.txt") == "10\n")
    }

    @Test func aDamagedFileInsideADirectoryOutputIsCaught() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run(["--only", "t"]).ran == ["t"])
        let store = StoreFiles(project: p)
        try store.damage(try store.object(holding: hundredLines), with: "1\n2\n")

        let rerun = try p.run()
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(rerun.cell("t")?.reasons == ["object for cell t, sub/hundred.txt in tree, was damaged; rerunning t"])
        #expect(p.read("outputs/nb/u.txt") == "100\n")
        #expect(p.read("outputs/nb/tree/sub/hundred.txt") == hundredLines)
    }

    @Test func aMissingObjectReruns() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run(["--only", "a"]).ran == ["a"])
        let store = StoreFiles(project: p)
        try FileManager.default.removeItem(at: try store.object(holding: tenLines))

        let rerun = try p.run()
        #expect(rerun.cell("a")?.reasons == ["object for cell a, a.txt, was missing; rerunning a"])
        #expect(p.read("outputs/nb/b.txt") == "10\n")
    }

    @Test func forcingACellReplacesItsDamagedObject() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run(["--only", "a"]).ran == ["a"])
        let store = StoreFiles(project: p)
        let object = try store.object(holding: tenLines)
        try store.damage(object, with: "1\n")

        let forced = try p.run(["--force", "a"])
        #expect(forced.result.status == 0, "\(forced.result.stderr)")
        #expect(try String(contentsOf: object, encoding: .utf8) == tenLines)
        #expect(p.read("outputs/nb/b.txt") == "10\n")
    }

    @Test func verifyReportsDamageAndRepairMovesItAside() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let clean = try p.splitbook(["cache", "verify"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("no problems found"))

        let store = StoreFiles(project: p)
        try store.damage(try store.object(holding: tenLines), with: "x", keepTimes: true)
        try p.write("outputs/.splitbook/steps/" + String(repeating: "ab", count: 32) + ".json", "{ not json")
        let found = try p.splitbook(["cache", "verify"])
        #expect(found.status == 1)
        #expect(found.stdout.contains("damaged object: .splitbook/objects/"))
        #expect(found.stdout.contains("holds a.txt of cell a (notebook nb)"))
        #expect(found.stdout.contains("unreadable entry: .splitbook/steps/abab"))

        let repaired = try p.splitbook(["cache", "verify", "--repair"])
        #expect(repaired.status == 0, "\(repaired.stdout)\(repaired.stderr)")
        #expect(repaired.stdout.contains("(repaired)"))
        let after = try p.splitbook(["cache", "verify"])
        #expect(after.status == 0, "\(after.stdout)")
        let rerun = try p.run()
        #expect(rerun.cell("a")?.status == "ran")
        #expect(p.read("outputs/nb/b.txt") == "10\n")
    }

    @Test func garbageStateEntriesAndHistoryAreMissesNotCrashes() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        let first = try p.run()
        #expect(first.result.status == 0)
        let meta = p.url.appendingPathComponent("outputs/.splitbook")
        try Data("splitbook-state 1\ncell a zz\no file".utf8).write(to: meta.appendingPathComponent("state/nb.state"))
        for name in try FileManager.default.contentsOfDirectory(atPath: meta.appendingPathComponent("steps").path) {
            try Data([0xff, 0x00, 0x7b]).write(to: meta.appendingPathComponent("steps/" + name))
        }
        try Data("{\"runID\":".utf8).write(to: meta.appendingPathComponent("runs/nb/\(first.report!.runID).json"))
        try Data("splitbook-hashes 1\nnot a line\n".utf8).write(to: meta.appendingPathComponent("hashes.v1"))
        try Data("garbage".utf8).write(to: meta.appendingPathComponent("objects.v1"))

        let rerun = try p.run()
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(Set(rerun.ran) == ["a", "b", "t", "u"])
        #expect(p.read("outputs/nb/b.txt") == "10\n")
        let list = try p.splitbook(["runs", "list"])
        #expect(list.status == 0)
        #expect(!list.stdout.contains(first.report!.runID) && list.stdout.contains(rerun.report!.runID), "\(list.stdout)")
        #expect(try p.run().ran.isEmpty)
    }

    @Test func aStateRecordNamingOtherOutputsIsNotRestored() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let state = p.url.appendingPathComponent("outputs/.splitbook/state/nb.state")
        let text = try String(contentsOf: state, encoding: .utf8)
        #expect(text.contains(" a.txt\n"))
        try Data(text.replacingOccurrences(of: " a.txt\n", with: " a.tXt\n").utf8).write(to: state)
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("outputs/nb"))

        let rerun = try p.run()
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(rerun.ran.isEmpty, "the cache entry for the same key is intact")
        #expect(p.read("outputs/nb/a.txt") == tenLines)
        #expect(p.read("outputs/nb/a.tXt") == nil)
    }

    @Test func temporaryFilesOfDeadRunsAreRemoved() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        let leftovers = ["outputs/.splitbook/state/.tmp-999999-17-nb.state", "outputs/.splitbook/runs/nb/.tmp-999999-3-x.json",
                         "outputs/.splitbook/.tmp-999999-5-hashes.v1"]
        for path in leftovers { try p.write(path, "") }
        #expect(try p.run().result.status == 0)
        for path in leftovers { #expect(p.read(path) == nil, "\(path)") }

        for path in leftovers { try p.write(path, "") }
        #expect(try p.splitbook(["cache", "gc"]).status == 0)
        for path in leftovers { #expect(p.read(path) == nil, "\(path)") }
    }

    @Test func registryLeftoversOfDeadPublishersAreRemoved() throws {
        let p = try Project(publisher)
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let leftovers = ["outputs/registry/.tmp/model-2-999999-7/content", "outputs/registry/model/aliases/.tmp-999999-3-latest"]
        for path in leftovers { try p.write(path, "partial") }
        #expect(try p.run(["-p", "value=2"]).cell("build")?.published == ["model": 2])
        for path in leftovers { #expect(p.read(path) == nil, "\(path)") }
        #expect(p.read("outputs/registry/model/aliases/latest") == "2\n")

        for path in leftovers { try p.write(path, "partial") }
        #expect(try p.splitbook(["cache", "gc"]).status == 0)
        for path in leftovers { #expect(p.read(path) == nil, "\(path)") }
    }

    @Test func theLockWaitNamesTheHolderOrSaysItIsUnknown() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        try p.write("outputs/.splitbook/lock", "")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [p.url.appendingPathComponent("outputs/.splitbook/lock").path, "sleep", "1"]
        try holder.run()
        usleep(300_000)
        let run = try p.splitbook(["run", p.notebook])
        holder.waitUntilExit()
        #expect(run.status == 0)
        #expect(run.stderr.contains("waiting for another splitbook run (holder unknown) to finish"), "\(run.stderr)")
        #expect(!run.stderr.contains("(pid )"))
    }

    @Test func excludedCellsPrintWithASpace() throws {
        let p = try Project(countingChain)
        defer { p.remove() }
        let run = try p.splitbook(["run", p.notebook, "--only", "a"])
        #expect(run.stdout.contains("  excluded b\n"), "\(run.stdout)")
    }
}

/// A small tmpfs mounted for one test and removed after it.
final class SmallFileSystem {
    let url: URL

    /// Mounts `size` bytes of tmpfs at a new directory; nil where mounting is refused (not root, no tmpfs).
    init?(size: Int) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("splitbook-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard Self.mount(["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", url.path]) else {
            try? FileManager.default.removeItem(at: url)
            return nil
        }
    }

    /// Gives the file system a new size, keeping its files.
    func resize(_ size: Int) -> Bool { Self.mount(["-o", "remount,size=\(size)", url.path]) }

    func remove() {
        _ = Self.command("/usr/bin/umount", [url.path])
        try? FileManager.default.removeItem(at: url)
    }

    private static func mount(_ arguments: [String]) -> Bool { command("/usr/bin/mount", arguments) }

    private static func command(_ path: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

@Suite("A full disk fails the cell, keeps nothing partial, and the next run with space succeeds")
struct FullDiskTests {
    static let notebook = """
        cells:
          - id: small
            outputs: [small.txt]
            code: echo small > small.txt
          - id: big
            inputs: [small.txt]
            outputs: [big.bin]
            code: head -c 3000000 /dev/zero > big.bin
          - id: after
            inputs: [big.bin]
            outputs: [size.txt]
            code: wc -c < big.bin | tr -d ' ' > size.txt
        """

    @Test func aCellThatFillsTheDiskFailsAndTheNextRunWithSpaceSucceeds() throws {
        guard let disk = try SmallFileSystem(size: 2 << 20) else {
            Issue.record("mounting a tmpfs was refused here; this test needs root")
            return
        }
        defer { disk.remove() }
        let p = try Project(Self.notebook)
        defer { p.remove() }
        let outputs = disk.url.appendingPathComponent("outputs").path

        let full = try p.run(["--outputs", outputs])
        #expect(full.result.status == 1, "\(full.result.stdout)\(full.result.stderr)")
        #expect(full.statuses == ["small": "ran", "big": "failed", "after": "skipped"])
        let reasons = full.cell("big")?.reasons.joined(separator: "\n") ?? ""
        #expect(reasons.contains("the file system holding \(outputs) is full"), "\(reasons)")
        #expect(FileManager.default.fileExists(atPath: outputs + "/nb/big.bin") == false)

        #expect(disk.resize(64 << 20))
        let rerun = try p.run(["--outputs", outputs])
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        #expect(rerun.statuses == ["small": "cached", "big": "ran", "after": "ran"])
        #expect(try String(contentsOfFile: outputs + "/nb/size.txt", encoding: .utf8) == "3000000\n")
    }

    @Test func aDiskThatFillsWhileTheResultIsKeptFailsTheCellNotTheTool() throws {
        guard let disk = try SmallFileSystem(size: 4 << 20) else {
            Issue.record("mounting a tmpfs was refused here; this test needs root")
            return
        }
        defer { disk.remove() }
        // The cell succeeds with an output that takes every free byte, so keeping its result has no room.
        let p = try Project("""
            cells:
              - id: hog
                outputs: [hog.bin]
                code: cat /dev/zero > hog.bin 2>/dev/null; exit 0
            """)
        defer { p.remove() }
        let outputs = disk.url.appendingPathComponent("outputs").path

        let full = try p.run(["--outputs", outputs])
        #expect(full.result.status == 1 || full.result.status == 2, "\(full.result.stdout)\(full.result.stderr)")
        #expect(!full.result.stderr.contains("Fatal error"))
        let text = full.result.stdout + full.result.stderr
        #expect(text.contains("No space left on device"), "\(text)")
        #expect(full.statuses == ["hog": "failed"])
        #expect(!FileManager.default.fileExists(atPath: outputs + "/nb/hog.bin"), "a partial copy stayed in the workspace")

        #expect(disk.resize(64 << 20))
        let rerun = try p.run(["--outputs", outputs])
        #expect(rerun.result.status == 0, "\(rerun.result.stderr)")
        let size = (try? FileManager.default.attributesOfItem(atPath: outputs + "/nb/hog.bin")[.size] as? Int) ?? 0
        #expect(size > 3 << 20, "the restored output is whole")
        #expect(try p.run(["--outputs", outputs]).ran.isEmpty)
    }
}
