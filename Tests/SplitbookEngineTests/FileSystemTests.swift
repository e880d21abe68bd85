import Foundation
import SplitbookEngine
import SplitbookTestSupport
import Testing

@Suite("File system helpers on the hot path")
struct FileSystemTests {
    @Test func greatestNameIgnoresHiddenFilesAndOtherSuffixes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(FileBytes.greatestName(in: dir.url.path, suffix: ".json") == nil)
        for name in ["20261125-0930", "20261125-1012", "20261124-2359"] { try dir.write(name + ".json", "{}") }
        try dir.write(".tmp-99-1-20261231-0000.json", "{}")
        try dir.write("20271231-0000.txt", "")
        #expect(FileBytes.greatestName(in: dir.url.path, suffix: ".json") == "20261125-1012")
        #expect(FileBytes.greatestName(in: dir.url.path + "/missing", suffix: ".json") == nil)
    }

    @Test func readReturnsTheExactBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let url = dir.url.appendingPathComponent("blob")
        try Data(bytes).write(to: url)
        #expect(FileBytes.read(url.path) == bytes)
        try Data().write(to: url)
        #expect(FileBytes.read(url.path) == [])
        #expect(FileBytes.read(dir.url.path + "/missing") == nil)
    }

    @Test func removeTakesReadOnlyTreesAndIgnoresMissingPaths() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let root = dir.url.path + "/tree"
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/a/b/file"))
        symlink("/etc/hostname", root + "/a/link")
        chmod(root + "/a/b", 0o500)
        chmod(root + "/a", 0o500)
        FileTree.remove(root)
        #expect(FileIdentity.of(root) == nil)
        #expect(FileIdentity.of("/etc/hostname") != nil, "a link is removed, not followed")
        FileTree.remove(root)  // already gone: no error, no crash
        #expect(FileTree.names(in: root) == nil)
    }

    @Test func makeDirectoryCreatesParentsAndRefusesAFileInTheWay() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let deep = dir.url.path + "/x/y/z"
        try AtomicFile.makeDirectory(deep)
        try AtomicFile.makeDirectory(deep)
        #expect(FileIdentity.of(deep)?.kind == .directory)
        try dir.write("file", "")
        #expect(throws: FileSystemError.self) { try AtomicFile.makeDirectory(dir.url.path + "/file") }
        #expect(throws: FileSystemError.self) { try AtomicFile.makeDirectory(dir.url.path + "/file/below") }
    }

    @Test func fixedDecimalsMatchPrintf() {
        let values: [Double] = [0, 0.004, 0.006, 0.5, 1.25, 2.345678, 9.994, 9.996, 12.34, 59.99, 123456.789, -1.5, -0.001]
        for value in values {
            for digits in 0...3 {
                #expect(DecimalText.fixed(value, digits) == String(format: "%.\(digits)f", value), "\(value) to \(digits)")
            }
        }
    }
}

@Suite("Spare files: reused, never leaking old bytes")
struct SparePoolTests {
    @Test func aReusedSpareHoldsExactlyTheNewContent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try ContentStore(root: dir.url.appendingPathComponent("store"))
        let old = try dir.write("old.txt", String(repeating: "OLD-SECRET ", count: 1000))
        let inode = FileIdentity.of(old.path)!.inode
        store.spares.recycle(old.path)
        #expect(FileIdentity.of(old.path) == nil)
        let target = dir.url.path + "/new.txt"
        #expect(store.spares.place(at: target))
        #expect(FileIdentity.of(target)?.inode == inode, "the same inode, reused")
        try FileWriter.write(Data("new".utf8), to: target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
        #expect(!store.spares.place(at: dir.url.path + "/another"), "the pool is empty again")
    }

    @Test func onlySmallWritableSingleLinkFilesAreKept() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try ContentStore(root: dir.url.appendingPathComponent("store"))
        let linked = try dir.write("linked", "x")
        link(linked.path, dir.url.path + "/other-name")
        let big = dir.url.appendingPathComponent("big")
        try Data(count: 300 << 10).write(to: big)
        let tree = try dir.write("tree/a/b.txt", "b")
        store.spares.recycle(linked.path)
        store.spares.recycle(big.path)
        store.spares.recycle(tree.deletingLastPathComponent().deletingLastPathComponent().path)
        #expect(FileIdentity.of(linked.path) == nil && FileIdentity.of(big.path) == nil)
        #expect(FileIdentity.of(dir.url.path + "/tree") == nil)
        #expect(try String(contentsOfFile: dir.url.path + "/other-name", encoding: .utf8) == "x", "the other link is untouched")
        #expect(store.spares.place(at: dir.url.path + "/p1"), "b.txt became a spare")
        #expect(!store.spares.place(at: dir.url.path + "/p2"), "and nothing else did")
    }

    @Test func atomicReplaceRecyclesTheOldFileAndCutsTheSpare() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try ContentStore(root: dir.url.appendingPathComponent("store"))
        let target = dir.url.appendingPathComponent("page.html")
        try AtomicFile.write(Data(String(repeating: "first ", count: 500).utf8), to: target, durable: false, spares: store.spares)
        let first = FileIdentity.of(target.path)!.inode
        try AtomicFile.write(Data("second".utf8), to: target, durable: false, spares: store.spares)
        #expect(try String(contentsOf: target, encoding: .utf8) == "second")
        try AtomicFile.write(Data("third".utf8), to: target, durable: false, spares: store.spares)
        #expect(try String(contentsOf: target, encoding: .utf8) == "third")
        #expect(FileIdentity.of(target.path)?.inode == first, "the first file's inode came back through the pool")
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.url.path)).sorted() == ["page.html", "store"],
                "no temporary file is left")
    }
}
