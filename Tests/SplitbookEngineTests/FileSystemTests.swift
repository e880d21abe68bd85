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
