import Foundation
import SplitbookTestSupport
import Testing

/// Hermetic cells without paying for every byte several times: each stage's
/// bytes are counted in the run record (`io`), a cell's inputs are proved
/// untouched by `stat` rather than by reading them again, reflinks replace
/// copies where the file system has them, and the first no-op after a run
/// does not reread what that run wrote.
@Suite struct LargeInputTests {
    /// Large enough that a second read would show, and above the size for
    /// which a run waits out the clock tick instead of hashing an input again.
    static let size = 8 << 20
    /// What each reader writes: `wc -c` of the input, a newline.
    static let readerOutput = Int64("\(size)\n".utf8.count)

    static let notebook = """
        cells:
          - id: make_big
            outputs: [big.bin]
            code: head -c \(size) /dev/zero > big.bin
        \((0..<3).map { i in """
          - id: r\(i)
            inputs: [big.bin]
            outputs: [r\(i).txt]
            code: wc -c < big.bin > r\(i).txt
        """ }.joined(separator: "\n"))
        """

    static func io(_ outcome: RunOutcome) -> [String: Report.IOCount] { outcome.report?.io ?? [:] }

    @Test func aColdRunReadsTheDataOnceToHashItAndTheFirstNoOpNotAtAll() throws {
        let project = try Project(Self.notebook)
        defer { project.remove() }
        let cold = try project.run()
        #expect(cold.result.status == 0, "\(cold.result.stderr)")
        let io = Self.io(cold)
        let size = Int64(Self.size)
        // One read to hash the new output (plus the sh interpreter's first hashing, well under 1 MiB).
        let hashed = try #require(io["hash"]?.read)
        #expect(hashed >= size + 3 * Self.readerOutput && hashed < size + (1 << 20), "\(io)")
        // Each reader's copy (or reflink) of the input, made in one pass: nothing more.
        let placement = try #require(io["placement"])
        #expect(placement.read + placement.cloned == 3 * size, "\(io)")
        #expect(placement.written == placement.read)
        // One copy to the browsable outputs/nb, of every output.
        let workspace = try #require(io["workspace"])
        #expect(workspace.read + workspace.cloned == size + 3 * Self.readerOutput, "\(io)")
        // The readers left their input alone, as `stat` shows: nothing hashed again, nothing copied into the store.
        #expect(io["check"] == nil, "\(io)")
        #expect(io["store"] == nil, "\(io)")

        let noop = try project.run()
        #expect(noop.result.status == 0)
        #expect(Set(noop.statuses.values) == ["cached"])
        for (stage, count) in Self.io(noop) {
            #expect(count.read + count.written < size / 8, "the first no-op moved \(count) in stage \(stage)")
        }
    }

    /// A cell that writes into its input and puts the mtime back is still
    /// caught: the write changed ctime, which no process can set. Four cases:
    /// a small file (placed in the clock tick the cell starts in, so it is
    /// hashed again), a large one (the run waits that tick out instead, and
    /// trusts `stat`), one changed after a pause, and a large file inside a
    /// directory input (the directory's own `stat` does not change when a
    /// file in it is rewritten).
    @Test(arguments: [("small.bin", 100, 0.0), ("big.bin", size, 0.0), ("big.bin", size, 0.3), ("tree/sub/f.bin", size, 0.0)])
    func anInputRewrittenInPlaceWithItsMtimeRestoredIsCaught(path: String, bytes: Int, pause: Double) throws {
        let input = path.split(separator: "/").first.map(String.init)!
        let project = try Project("""
            cells:
              - id: make
                outputs: [\(input)]
                code: |
                  mkdir -p \((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
                  head -c \(bytes) /dev/zero > \(path)
              - id: sneaky
                lang: python
                inputs: [\(input)]
                outputs: [done.txt]
                code: |
                  import os, time
                  time.sleep(\(pause))
                  st = os.stat("\(path)")
                  with open("\(path)", "r+b") as f:
                      f.write(b"X")
                  os.utime("\(path)", ns=(st.st_atime_ns, st.st_mtime_ns))
                  assert os.stat("\(path)").st_mtime_ns == st.st_mtime_ns and os.stat("\(path)").st_size == st.st_size
                  open("done.txt", "w").write("done")
            """)
        defer { project.remove() }
        let outcome = try project.run()
        #expect(outcome.result.status == 1)
        #expect(outcome.statuses == ["make": "ran", "sneaky": "failed"])
        let printed = outcome.result.stdout + outcome.result.stderr
        #expect(printed.contains("modified its input '\(input)' in place"), "\(printed)")
        // Nothing of the failed cell was kept; the producer's object is intact and restores as before.
        #expect(project.read("outputs/nb/done.txt") == nil)
        let verify = try project.splitbook(["cache", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: project.url.appendingPathComponent("outputs/nb/\(path)").path)[.size] as? Int)
        #expect(size == bytes)
        #expect(FileManager.default.contents(atPath: project.url.appendingPathComponent("outputs/nb/\(path)").path)?.contains(UInt8(ascii: "X")) == false)
    }

    @Test(.enabled("needs a loop-mounted XFS image (root, loop devices, mkfs.xfs)") {
        if let reason = LoopFileSystem.unavailableReason { print("skipped: \(reason)") }
        return LoopFileSystem.unavailableReason == nil
    })
    func onXFSInputsAndWorkspaceCopiesAreReflinksAndStillHermetic() throws {
        let fs = try LoopFileSystem(megabytes: 300)
        defer { fs.unmount() }
        let project = fs.mountPoint.appendingPathComponent("project")
        let notebook = project.appendingPathComponent("notebooks/nb.yaml")
        try FileManager.default.createDirectory(at: notebook.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((Self.notebook + """

              - id: sneaky
                inputs: [big.bin]
                outputs: [done.txt]
                code: printf X | dd of=big.bin conv=notrunc status=none && echo done > done.txt
            """).utf8).write(to: notebook)
        let before = try Self.usedBytes(fs.mountPoint)
        let result = try Binary.run(["run", "notebooks/nb.yaml", "--json"], in: project)
        let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        let io = report.io ?? [:]
        let size = Int64(Self.size)

        // Four readers and the workspace share the one stored copy's blocks: nothing read or written to place them.
        #expect(io["placement"]?.cloned == 4 * size, "\(io)")
        #expect(io["placement"]?.read == 0)
        #expect(io["workspace"]?.cloned == size + 3 * Self.readerOutput, "\(io)")
        #expect(io["workspace"]?.read == 0)
        // And the disk agrees: one copy's worth of blocks, not six.
        let used = try Self.usedBytes(fs.mountPoint) - before
        #expect(used < 2 * size, "the run used \(used) bytes of the file system")

        // A write to a reflinked input is still caught, and leaves the stored object alone.
        #expect(result.status == 1)
        #expect(report.cells.first { $0.id == "sneaky" }?.status == "failed")
        let verify = try Binary.run(["cache", "verify"], in: project)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let copy = try Data(contentsOf: project.appendingPathComponent("outputs/nb/big.bin"))
        #expect(copy.count == Self.size && !copy.contains(UInt8(ascii: "X")))
    }

    static func usedBytes(_ url: URL) throws -> Int64 {
        var fs = statvfs()
        guard statvfs(url.path, &fs) == 0 else { throw CocoaError(.fileReadUnknown) }
        return Int64(fs.f_blocks - fs.f_bfree) * Int64(fs.f_frsize)
    }
}
