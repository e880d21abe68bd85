import Foundation
import SplitbookEngine
import SplitbookTestSupport
import Testing

/// Waits until files written now are outside the hasher's "racily clean" window.
func settle() { usleep(150_000) }

@Suite("File hashing with a stat memo")
struct FileHasherTests {
    @Test func memoisedDigestIsNotRereadByTheNextProcess() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("data.bin", String(repeating: "x", count: 100_000)).path
        let memo = dir.url.appendingPathComponent("hashes.v1")
        settle()
        let first = FileHasher(memoURL: memo)
        let digest = try first.digest(ofFile: file)
        #expect(first.bytesHashed == 100_000)
        try first.save()
        let second = FileHasher(memoURL: memo)
        #expect(try second.digest(ofFile: file) == digest)
        #expect(second.bytesHashed == 0)
    }

    @Test func editKeepingSizeAndMtimeIsSeen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = try dir.write("data.txt", "aaaa")
        let memo = dir.url.appendingPathComponent("hashes.v1")
        settle()
        let first = FileHasher(memoURL: memo)
        let before = try first.digest(ofFile: url.path)
        try first.save()
        let mtime = try #require(FileIdentity.of(url.path)).mtimeNanos
        try Data("bbbb".utf8).write(to: url)
        var times = [timespec(tv_sec: Int(mtime / 1_000_000_000), tv_nsec: Int(mtime % 1_000_000_000)),
                     timespec(tv_sec: Int(mtime / 1_000_000_000), tv_nsec: Int(mtime % 1_000_000_000))]
        #expect(utimensat(AT_FDCWD, url.path, &times, 0) == 0)
        #expect(FileIdentity.of(url.path)?.mtimeNanos == mtime)
        #expect(FileIdentity.of(url.path)?.size == 4)
        let after = try FileHasher(memoURL: memo).digest(ofFile: url.path)
        #expect(after != before)
        #expect(after == Digest.of("bbbb"))
    }

    @Test func aFileChangedInTheSameTickAsItWasHashedIsHashedAgain() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let url = try dir.write("fresh.txt", "new")
        let memo = dir.url.appendingPathComponent("hashes.v1")
        // A window of an hour makes "hashed right after the write" hold however loaded the machine is.
        let hour: Int64 = 3_600_000_000_000
        let first = FileHasher(memoURL: memo, racyWindowNanos: hour)
        _ = try first.digest(ofFile: url.path)  // racily clean: the file may change again within its timestamp's tick
        try first.save()
        let second = FileHasher(memoURL: memo, racyWindowNanos: hour)
        _ = try second.digest(ofFile: url.path)
        #expect(second.bytesHashed == 3)
        // Once the write is older than the window, the memo is trusted and nothing is read.
        let third = FileHasher(memoURL: memo, racyWindowNanos: -hour)
        _ = try third.digest(ofFile: url.path)
        #expect(third.bytesHashed == 0)
    }
}

@Suite("Directory trees")
struct TreeTests {
    @Test func sameContentSameDigestWhereverItLives() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for root in ["a", "b"] {
            try dir.write("\(root)/x.txt", "one")
            try dir.write("\(root)/sub/y.txt", "two")
            try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("\(root)/empty"), withIntermediateDirectories: true)
        }
        let hasher = FileHasher(memoURL: nil)
        let a = try Tree.scan(dir.url.appendingPathComponent("a").path, hasher: hasher)
        let b = try Tree.scan(dir.url.appendingPathComponent("b").path, hasher: hasher)
        #expect(a.digest == b.digest)
        #expect(a.manifest.contains("d empty\n"))
        #expect(a.manifest.contains(" sub/y.txt\n"))
        chmod(dir.url.appendingPathComponent("b/x.txt").path, 0o755)
        let c = try Tree.scan(dir.url.appendingPathComponent("b").path, hasher: FileHasher(memoURL: nil))
        #expect(c.digest != a.digest)
    }
}

@Suite("Content-addressed store")
struct ContentStoreTests {
    @Test func storedObjectsAreImmutableThroughTheirCopies() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try ContentStore(root: dir.url.appendingPathComponent("store"))
        let hasher = FileHasher(memoURL: nil)
        let source = try dir.write("work/model.bin", "weights")
        let item = try store.put(source.path, hasher: hasher, move: true)
        #expect(FileIdentity.of(source.path) == nil, "moved into the store")
        #expect(item.digest == Digest.of("weights"))
        let object = store.path(of: item.digest)
        #expect((FileIdentity.of(object)?.mode ?? 0) & 0o777 == 0o444)

        let copy = dir.url.appendingPathComponent("workspace/model.bin").path
        try store.materialize(item, to: copy, stage: .workspace)
        // Root ignores permissions, so immutability must come from copies, not modes: edit the copy.
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: copy))
        #expect(FileIdentity.of(copy)?.inode != FileIdentity.of(object)?.inode)
        #expect(try FileHasher(memoURL: nil).digest(ofFile: object) == Digest.of("weights"))
    }

    @Test func treesRoundTripWithExecutableBits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try ContentStore(root: dir.url.appendingPathComponent("store"))
        try dir.write("out/dataset/train.jsonl", "{}\n")
        try dir.write("out/dataset/bin/run.sh", "echo hi\n")
        chmod(dir.url.appendingPathComponent("out/dataset/bin/run.sh").path, 0o755)
        let hasher = FileHasher(memoURL: nil)
        let original = try Tree.scan(dir.url.appendingPathComponent("out/dataset").path, hasher: hasher)
        let item = try store.put(dir.url.appendingPathComponent("out/dataset").path, hasher: hasher, move: false)
        #expect(item.kind == .tree)
        #expect(item.digest == original.digest)
        let restored = dir.url.appendingPathComponent("restored").path
        try store.materialize(item, to: restored, stage: .workspace)
        #expect(try Tree.scan(restored, hasher: FileHasher(memoURL: nil)) == original)
        #expect(FileIdentity.of(restored + "/bin/run.sh")?.isExecutable == true)
    }

    @Test func identicalDataIsStoredOnce() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try ContentStore(root: dir.url.appendingPathComponent("store"))
        let a = try store.putData(Data("log".utf8))
        let b = try store.putData(Data("log".utf8))
        #expect(a == b)
        #expect(store.data(a) == Data("log".utf8))
        let tmp = try FileManager.default.contentsOfDirectory(atPath: dir.url.appendingPathComponent("store/tmp").path)
        #expect(tmp.isEmpty, "no staging file left behind")
    }

    @Test func atomicWriteReplacesWholeAndLeavesNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let target = dir.url.appendingPathComponent("state/entry.json")
        try AtomicFile.write(Data("old".utf8), to: target)
        try AtomicFile.write(Data("new".utf8), to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path) == ["entry.json"])
    }
}

@Suite("Notebook state file")
struct NotebookStateTests {
    @Test func roundTripsPathsAndNamesWithSpaces() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let workspace = try Workspace(root: dir.url)
        let items: [String: StoredItem] = [
            "my model.bin": StoredItem(kind: .file, digest: Digest.of("m"), executable: true, size: 1),
            "data dir": StoredItem(kind: .tree, digest: Digest.of("t"), executable: false, size: 40),
        ]
        let entry = CacheEntry(key: Digest.of("key"), notebook: "nb", cell: "train",
                               components: StepKey(lang: "sh", interpreter: [], code: Digest.of(""), outputs: [], params: [:], env: [:],
                                                   inputs: [:], needs: [:], uses: [:]),
                               outputs: items, stdout: Digest.of("out"), stderr: Digest.of("err"),
                               display: [DisplayItem(name: "1 table.csv", digest: Digest.of("csv"))],
                               metrics: ["val auc": 0.25, "n": 3], warnings: [], duration: 1.5, runID: "r", createdAt: Date())
        var state = NotebookState()
        state.cells["train"] = NotebookState.Cell(entry)
        let url = workspace.stateURL("nb")
        try state.save(to: url)
        let loaded = NotebookState.load(from: url).cells["train"]
        #expect(loaded?.outputs == items)
        #expect(loaded?.metrics == ["val auc": 0.25, "n": 3])
        #expect(loaded?.display == [DisplayItem(name: "1 table.csv", digest: Digest.of("csv"))])
        #expect(loaded?.duration == 1.5)
        try Data("garbage\n".utf8).write(to: url)
        #expect(NotebookState.load(from: url).cells.isEmpty, "an unreadable state is an empty one: everything is looked up in steps/")
    }
}

@Suite("Large-file digests")
struct ChunkedDigestTests {
    @Test func largeFilesHashInChunksAndAgreeWithInMemoryData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var bytes = Data(count: 80 << 20)
        bytes[0] = 1
        bytes[bytes.count - 1] = 2
        let url = dir.url.appendingPathComponent("big.bin")
        try bytes.write(to: url)
        let fromFile = try FileHasher(memoURL: nil).digest(ofFile: url.path)
        #expect(fromFile == Digest.of(bytes))
        bytes[40 << 20] = 7  // one byte in the middle chunk
        try bytes.write(to: url)
        #expect(try FileHasher(memoURL: nil).digest(ofFile: url.path) != fromFile)
        // Below the threshold a digest is plain SHA-256 (what `sha256sum` prints).
        #expect(Digest.of(Data("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
