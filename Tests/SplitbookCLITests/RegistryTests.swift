import Foundation
import SplitbookTestSupport
import Testing

let publisher = """
    params:
      value: 1
    cells:
      - id: build
        params: [value]
        outputs: [model.json]
        publish: {model: model.json}
        code: |
          printf '{"w": %s}\\n' "$PARAM_VALUE" > model.json
    """

let consumer = """
    cells:
      - id: report
        uses: [model@production]
        outputs: [seen.txt]
        code: cat artifacts/model > seen.txt
    """

func registryDir(_ p: Project) -> String { p.url.appendingPathComponent("shared-registry").path }

@Suite("The registry (the real binary)")
struct RegistryTests {
    @Test func publishingVersionsAndLineage() throws {
        let p = try Project(publisher)
        defer { p.remove() }
        let first = try p.run()
        #expect(first.cell("build")?.published == ["model": 1])
        #expect(first.cell("build")?.newVersions == ["model"])
        let again = try p.run()
        #expect(again.cell("build")?.newVersions == [], "identical content makes no new version")
        #expect(try p.run(["-p", "value=2"]).cell("build")?.published == ["model": 2])
        let back = try p.run(["-p", "value=1"])
        #expect(back.cell("build")?.published == ["model": 1], "latest moves back to the version with this content")
        #expect(p.read("outputs/registry/model/aliases/latest") == "1\n")
        #expect(p.read("outputs/registry/model/versions/2/content") == "{\"w\": 2}\n")
        let lineage = try #require(p.read("outputs/registry/model/versions/1/lineage.json"))
        for field in ["\"notebook\" : \"nb\"", "\"cell\" : \"build\"", "\"params\" : {", "\"value\" : \"1\"", "\"runID\" : \"", "\"contentHash\" : \""] {
            #expect(lineage.contains(field), "lineage lacks \(field)")
        }
        let list = try p.splitbook(["registry", "list"])
        #expect(list.stdout.contains("model") && list.stdout.contains("2 versions  latest=1"))
    }

    @Test func promoteRollbackAndPath() throws {
        let p = try Project(publisher)
        defer { p.remove() }
        _ = try p.run()
        _ = try p.run(["-p", "value=2"])
        #expect(try p.splitbook(["registry", "promote", "model@1", "production"]).stdout == "model@production -> v1\n")
        #expect(try p.splitbook(["registry", "promote", "model@2", "production"]).status == 0)
        let path = try p.splitbook(["registry", "path", "model@production"]).stdout.trimmingCharacters(in: .newlines)
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "{\"w\": 2}\n")
        #expect(try p.splitbook(["registry", "rollback", "model", "production"]).stdout == "model@production -> v1\n")
        let show = try p.splitbook(["registry", "show", "model"])
        #expect(show.stdout.contains("v1  [production]"))
        #expect(show.stdout.contains("rollback v1 production  from version 2"))
        #expect(try p.splitbook(["registry", "promote", "model@9", "production"]).status == 1)
        #expect(try p.splitbook(["registry", "promote", "model@1", "latest"]).status == 2)
        #expect(try p.splitbook(["registry", "promote", "../etc@1", "x"]).status == 2)
        #expect(try p.splitbook(["registry", "show", "nothing"]).status == 1)
    }

    @Test func aNotebookUsesWhatAnotherPublishedAndFollowsItsAlias() throws {
        let p = try Project(consumer, files: ["publisher.yaml": publisher])
        defer { p.remove() }
        let registry = ["--registry", registryDir(p)]
        #expect(try p.splitbook(["check", p.notebook] + registry).status == 2, "nothing published yet")
        #expect(try p.splitbook(["run", "notebooks/publisher.yaml"] + registry).status == 0)
        _ = try p.splitbook(["run", "notebooks/publisher.yaml", "-p", "value=2"] + registry)
        _ = try p.splitbook(["registry", "promote", "model@1", "production"] + registry)
        let check = try p.splitbook(["check", p.notebook] + registry)
        #expect(check.status == 0, "\(check.stderr)")
        let first = try p.run(registry)
        #expect(first.ran == ["report"], "\(first.result.stderr)")
        #expect(p.read("outputs/nb/seen.txt") == "{\"w\": 1}\n")
        usleep(150_000)
        #expect(try p.run(registry).ran.isEmpty)
        usleep(150_000)
        _ = try p.splitbook(["registry", "promote", "model@2", "production"] + registry)
        let moved = try p.run(registry)
        #expect(moved.ran == ["report"])
        #expect(moved.cell("report")?.reasons.first?.hasPrefix("artifact model@production changed") == true)
        #expect(p.read("outputs/nb/seen.txt") == "{\"w\": 2}\n")
    }

    @Test func aModifiedVersionIsRefused() throws {
        let p = try Project(consumer, files: ["publisher.yaml": publisher])
        defer { p.remove() }
        let registry = ["--registry", registryDir(p)]
        _ = try p.splitbook(["run", "notebooks/publisher.yaml"] + registry)
        _ = try p.splitbook(["registry", "promote", "model@1", "production"] + registry)
        try p.write("shared-registry/model/versions/1/content", "{\"w\": 666}\n")
        let run = try p.run(registry)
        #expect(run.result.status == 1)
        #expect(run.cell("report")?.reasons.first?.contains("was modified after it was published") == true)
    }

    @Test func concurrentPublishersGetDistinctWholeVersions() throws {
        let p = try Project(publisher, files: ["other.yaml": publisher.replacingOccurrences(of: "value: 1", with: "value: 7")])
        defer { p.remove() }
        let registry = ["--registry", registryDir(p)]
        // Separate outputs dirs, so the runs do not serialise on the workspace lock; only the registry is shared.
        let one = try launch(p, ["run", p.notebook, "--outputs", "out1"] + registry)
        let two = try launch(p, ["run", "notebooks/other.yaml", "--outputs", "out2"] + registry)
        one.waitUntilExit()
        two.waitUntilExit()
        #expect(one.terminationStatus == 0 && two.terminationStatus == 0)
        let versions = try FileManager.default.contentsOfDirectory(atPath: registryDir(p) + "/model/versions").sorted()
        #expect(versions == ["1", "2"])
        let contents = Set(versions.compactMap { try? String(contentsOfFile: registryDir(p) + "/model/versions/\($0)/content", encoding: .utf8) })
        #expect(contents == ["{\"w\": 1}\n", "{\"w\": 7}\n"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: registryDir(p) + "/.tmp").isEmpty)
    }
}
