import Foundation
import SplitbookEngine
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// Runs one of the static export checks of `Tests/Scripts/check_export.py` with the pinned test venv.
func checkExport(_ kind: String, _ path: URL) throws -> Binary.Result {
    try Process.capture(try PythonEnvironment.python(),
                        [Binary.packageRoot.appendingPathComponent("Tests/Scripts/check_export.py").path, kind, path.path])
}

/// The environment of a user without splitbook: PATH holds only the system's directories.
func environmentWithoutSplitbook(_ p: Project, registry: String, job: String = "job") -> [String: String] {
    var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": p.url.path, "LANG": "C.UTF-8",
               "SPLITBOOK_REGISTRY": p.url.appendingPathComponent(registry).path]
    // A job image installs each locked environment; here the ones `splitbook run` built stand in for them.
    for (key, python) in lockedPythons(p, job: job) { env["PYTHON_" + key.uppercased()] = python }
    return env
}

/// For each `requirements/KEY.txt` of an exported job: the Python of the
/// environment splitbook built for that lock entry (its marker's digest starts with KEY).
func lockedPythons(_ p: Project, job: String) -> [String: String] {
    let keys = (try? FileManager.default.contentsOfDirectory(atPath: p.url.appendingPathComponent(job + "/requirements").path)) ?? []
    let stores = [Binary.defaultEnvironment["SPLITBOOK_ENVS"]!, p.url.appendingPathComponent("outputs/.splitbook/envs").path]
    var found: [String: String] = [:]
    for store in stores {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? [] where !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: "\(store)/\(name)/splitbook-environment.json"),
                  let marker = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let digest = marker["lockDigest"] as? String else { continue }
            for file in keys where digest.hasPrefix(String(file.dropLast(4))) { found[String(file.dropLast(4))] = "\(store)/\(name)/bin/python" }
        }
    }
    return found
}

/// Every file under `dir` (relative paths, sorted).
func files(under dir: URL) -> [String] {
    let root = dir.standardizedFileURL.path + "/"
    let all = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []
    return all.filter { !(FileIdentity.of(root + $0)?.kind == .directory) }.sorted()
}

@Suite("splitbook export: golden files of the intro notebook's exports and reports", .serialized)
struct ExportSnapshotTests {
    @Test func exportsAndReportsMatchTheirGoldenFiles() throws {
        let p = try Project(bundled: "intro")
        defer { p.remove() }
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        for half in ["offline", "online"] {
            let binary = half == "online" ? ["--binary", try NativeExecutables.staticELF().path] : []
            let result = try p.splitbook(["export", half, p.notebook, "-o", "exp/\(half)"] + binary)
            #expect(result.status == 0, "\(result.stderr)")
        }
        for format in ["html", "ipynb", "md"] {
            #expect(try p.splitbook(["export", format, p.notebook, "-o", "exp/report.\(format)"]).status == 0)
        }
        let golden = ["offline/notebook.yaml", "offline/run.sh", "offline/Dockerfile", "offline/.dockerignore", "offline/cronjob.yaml",
                      "offline/workflow.yaml", "offline/registry-pvc.yaml", "offline/contract.json", "offline/README.md",
                      "online/notebook.yaml", "online/contract.json", "online/openapi.json", "online/Dockerfile", "online/deployment.yaml",
                      "online/registry-pvc.yaml", "online/README.md", "report.html", "report.ipynb", "report.md"]
        for name in golden {
            let text = p.read("exp/" + name) ?? "<missing>"
            if let problem = Snapshot.mismatch("intro/" + name, text) { Issue.record(Comment(rawValue: problem)) }
        }
        // The run's own report is the same document as `export html` of that run.
        #expect(p.read("outputs/intro/report.html") == p.read("exp/report.html"))
    }
}

@Suite("splitbook export: each half runs on its own, joined only by the registry (the real binary)", .serialized)
struct ExportedHalvesTests {
    /// Every artifact version in `registry` (name -> version -> content digest from its lineage).
    static func lineageHashes(_ registry: URL) -> [String: [Int: String]] {
        var out: [String: [Int: String]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: registry.path)) ?? [] where !name.hasPrefix(".") {
            let versions = registry.appendingPathComponent("\(name)/versions")
            for v in (try? FileManager.default.contentsOfDirectory(atPath: versions.path)) ?? [] {
                guard let n = Int(v), let data = FileManager.default.contents(atPath: versions.appendingPathComponent("\(v)/lineage.json").path),
                      case .object(let lineage)? = JSONValue.parseJSON(data), case .string(let hash)? = lineage["contentHash"] else { continue }
                out[name, default: [:]][n] = hash
            }
        }
        return out
    }

    /// Byte-for-byte comparison of two files or directory trees (names, contents, executable bits).
    static func sameContent(_ a: URL, _ b: URL) -> Bool {
        let ka = FileIdentity.of(a.path)?.kind, kb = FileIdentity.of(b.path)?.kind
        guard ka == kb else { return false }
        if ka == .directory {
            let fa = files(under: a), fb = files(under: b)
            return fa == fb && fa.allSatisfy { sameContent(a.appendingPathComponent($0), b.appendingPathComponent($0)) }
        }
        return FileManager.default.contents(atPath: a.path) == FileManager.default.contents(atPath: b.path)
            && FileIdentity.of(a.path)?.isExecutable == FileIdentity.of(b.path)?.isExecutable
    }

    @Test("run.sh without splitbook publishes the bytes splitbook publishes; the online bundle serves them",
          arguments: ["intro", "rag_assistant", "churn_model", "dataset_generation"])
    func bothHalvesOfABundledNotebook(_ name: String) throws {
        let p = try Project(bundled: name)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)

        // The batch job, on a machine without splitbook.
        let env = environmentWithoutSplitbook(p, registry: "job-registry")
        let which = try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["-c", "command -v splitbook"], environment: env)
        #expect(which.status != 0, "splitbook must not be on the job's PATH")
        let job = try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: env)
        #expect(job.status == 0, "\(job.stderr)")

        let byRun = Self.lineageHashes(p.url.appendingPathComponent("outputs/registry"))
        let byJob = Self.lineageHashes(p.url.appendingPathComponent("job-registry"))
        #expect(!byRun.isEmpty)
        #expect(byRun == byJob, "run.sh published other content than splitbook run")
        for (artifact, versions) in byRun {
            for v in versions.keys {
                let path = "\(artifact)/versions/\(v)/content"
                #expect(Self.sameContent(p.url.appendingPathComponent("outputs/registry/" + path), p.url.appendingPathComponent("job-registry/" + path)),
                        "\(path) differs")
            }
        }
        // Rerunning the job publishes nothing new: identical content is not a new version.
        #expect(try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: env).status == 0)
        #expect(Self.lineageHashes(p.url.appendingPathComponent("job-registry")) == byJob)

        let online = try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path])
        guard p.read(p.notebook)!.contains("stage: online") else {
            #expect(online.status == 1)
            #expect(online.stderr.contains("has no online cells: there is nothing to serve"))
            return
        }
        #expect(online.status == 0, "\(online.stderr)")

        // The serving bundle, on the registry the job wrote; each sample gets the response the notebook run recorded.
        guard let data = FileManager.default.contents(atPath: p.url.appendingPathComponent("svc/openapi.json").path),
              case .object(let api)? = JSONValue.parseJSON(data), case .object(let paths)? = api["paths"] else {
            Issue.record("no openapi.json")
            return
        }
        let port = HTTP.freePort()
        var serveEnv = Binary.defaultEnvironment
        serveEnv["HOME"] = p.url.path
        let server = try launch(p, ["serve", "svc", "--port", "\(port)", "--workers", "1", "--registry", "job-registry"], environment: serveEnv)
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        #expect(HTTP.wait(for: "http://127.0.0.1:\(port)/readyz"))
        var answered = 0
        for (path, item) in paths where path.hasPrefix("/v1/") && path != "/v1/artifacts" {
            guard case .object(let operation) = item, case .object(let post)? = operation["post"] else { continue }
            let request = Self.examples(post, ["requestBody"]), response = Self.examples(post, ["responses", "200"])
            #expect(request.count == response.count && !request.isEmpty, "\(path): samples and responses")
            for (req, expected) in zip(request, response) {
                let reply = HTTP.request("POST", "http://127.0.0.1:\(port)\(path)", body: req.canonicalJSON)
                #expect(reply?.status == 200)
                #expect(reply.flatMap { JSONValue.parseJSON(Data($0.body.utf8)) } == expected, "\(path) \(req.canonicalJSON)")
                answered += 1
            }
        }
        #expect(answered > 0)
    }

    /// The JSON examples of a request body or response in an OpenAPI operation.
    static func examples(_ operation: [String: JSONValue], _ path: [String]) -> [JSONValue] {
        var node = JSONValue.object(operation)
        for key in path + ["content", "application/json"] {
            guard case .object(let o) = node, let next = o[key] else { return [] }
            node = next
        }
        guard case .object(let media) = node else { return [] }
        if let one = media["example"] { return [one] }
        guard case .object(let many)? = media["examples"] else { return [] }
        return many.keys.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }.compactMap {
            if case .object(let e)? = many[$0] { e["value"] } else { nil }
        }
    }

    @Test func eachHalfHoldsOnlyItsOwnCells() throws {
        let p = try Project(bundled: "rag_assistant")
        defer { p.remove() }
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        #expect(try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path]).status == 0)
        let original = try NotebookFile(path: p.url.appendingPathComponent(p.notebook).path).check.notebook!
        for (dir, stage) in [("job", Stage.offline), ("svc", Stage.online)] {
            // The online half reads its artifacts from the registry the offline half fills.
            let exported = try NotebookFile(path: p.url.appendingPathComponent("\(dir)/notebook.yaml").path, registryHas: { _ in true })
            #expect(exported.check.diagnostics.isEmpty, "\(exported.renderedDiagnostics)")
            let cells = Dictionary(uniqueKeysWithValues: (exported.check.notebook?.codeCells ?? []).map { ($0.id.value.rawValue, $0) })
            #expect(cells.keys.sorted() == original.codeCells.filter { $0.stage == stage }.map(\.id.value.rawValue).sorted())
            let texts = files(under: p.url.appendingPathComponent(dir)).map { p.read("\(dir)/\($0)") ?? "" }
            for cell in original.codeCells {
                guard case .inline(let code) = cell.source else { continue }
                if cell.stage == stage {
                    guard case .inline(let copy)? = cells[cell.id.value.rawValue]?.source else { Issue.record("\(cell.id.value) lost its code"); continue }
                    #expect(copy == code, "cell \(cell.id.value) changed in the \(stage) export")
                } else {
                    // Not even one line of the other half's code: its longest line is distinctive enough to look for.
                    let line = code.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.max { $0.count < $1.count } ?? ""
                    #expect(!texts.contains { $0.contains(line) }, "\(cell.stage) cell \(cell.id.value) leaked into the \(stage) export")
                }
            }
        }
    }

    @Test func manifestsCarryTheFieldsKubernetesAndArgoRequire() throws {
        let p = try Project(bundled: "churn_model")
        defer { p.remove() }
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job", "--schedule", "*/30 * * * *"]).status == 0)
        #expect(try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path]).status == 0)
        let offline = try checkExport("offline", p.url.appendingPathComponent("job"))
        #expect(offline.status == 0, "\(offline.stdout)\(offline.stderr)")
        #expect(p.read("job/cronjob.yaml")?.contains(#"schedule: "*/30 * * * *""#) == true)
        // One DAG task per offline cell, depending on exactly the offline cells it reads from or needs.
        let graph = try NotebookFile(path: p.url.appendingPathComponent(p.notebook).path).check.graph!
        var expected: [String: JSONValue] = [:]
        for (n, cell) in graph.cells.enumerated() where cell.stage == .offline {
            let deps = Set(graph.upstream[n].map(\.from)).filter { graph.cells[$0].stage == .offline }
            expected[cell.id.value.rawValue.replacingOccurrences(of: "_", with: "-")] =
                .array(deps.map { graph.cells[$0].id.value.rawValue.replacingOccurrences(of: "_", with: "-") }.sorted().map { .string($0) })
        }
        let tasksLine = offline.stdout.split(separator: "\n").first { $0.hasPrefix("tasks ") }.map { String($0.dropFirst(6)) } ?? ""
        #expect(JSONValue.parseJSON(Data(tasksLine.utf8)) == .object(expected))
        let online = try checkExport("online", p.url.appendingPathComponent("svc"))
        #expect(online.status == 0, "\(online.stdout)\(online.stderr)")
        // The Dockerfiles are checked statically (no Docker engine here).
        let jobImage = p.read("job/Dockerfile") ?? ""
        // The base image is the Python the notebook's lock was resolved with.
        let interpreter = p.read("job/notebook.lock").flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .flatMap { ($0["environments"] as? [[String: Any]])?.first?["interpreter"] as? String } ?? "none"
        #expect(jobImage.contains("FROM python:\(interpreter)-slim") && jobImage.contains(#"ENTRYPOINT ["sh", "/job/run.sh"]"#))
        let serveImage = p.read("svc/Dockerfile") ?? ""
        #expect(serveImage.contains(#"CMD ["splitbook", "serve", "/srv/bundle""#) && serveImage.contains("EXPOSE 8080"))
    }

    @Test func ipynbValidatesWithNbformatAndCarriesTagsAndOutputs() throws {
        let p = try Project(bundled: "churn_model")
        defer { p.remove() }
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        #expect(try p.splitbook(["export", "ipynb", p.notebook, "-o", "churn.ipynb"]).status == 0)
        let result = try checkExport("ipynb", p.url.appendingPathComponent("churn.ipynb"))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let notebook = try NotebookFile(path: p.url.appendingPathComponent(p.notebook).path).check.notebook!
        let tags = result.stdout.split(separator: "\n").first { $0.hasPrefix("tags ") }.map { String($0.dropFirst(5)) } ?? ""
        #expect(JSONValue.parseJSON(Data(tags.utf8)) == .object(Dictionary(uniqueKeysWithValues: notebook.codeCells.map {
            ($0.id.value.rawValue, JSONValue.array([.string($0.stage.rawValue)]))
        })))
        let text = p.read("churn.ipynb") ?? ""
        #expect(text.contains("\"image/svg+xml\"") || text.contains("\"image/png\""), "display images become outputs")
        #expect(text.contains("\"text/html\""), "tables become HTML outputs")
    }
}

@Suite("The HTML report of every run (the real binary)", .serialized)
struct ReportPageTests {
    @Test("self-contained: no scripts, no stylesheets or images from elsewhere",
          arguments: ["intro", "rag_assistant", "churn_model", "dataset_generation"])
    func reportIsSelfContained(_ name: String) throws {
        let p = try Project(bundled: name)
        defer { p.remove() }
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        let html = try #require(p.read("outputs/\(name)/report.html"))
        for external in ["<script", "<link", "src=\"http", "src='http", "url(http", "url(//", "@import", "src=\"//"] {
            #expect(!html.contains(external), "\(external) in the report")
        }
        let sources = try NSRegularExpression(pattern: #"src="([^"]*)""#).matches(in: html, range: NSRange(html.startIndex..., in: html))
            .map { String(html[Range($0.range(at: 1), in: html)!]) }
        #expect(sources.allSatisfy { $0.hasPrefix("data:") }, "every image is embedded")
        #expect(html.contains("<svg") && html.contains("class=\"lane offline\"") && html.contains("class=\"lane online\""))
        let notebook = try NotebookFile(path: p.url.appendingPathComponent(p.notebook).path).check.notebook!
        for cell in notebook.codeCells { #expect(html.contains("id=\"cell-\(cell.id.value)\"")) }
    }

    @Test func everyRunRewritesItsReportIncludingANoopReplay() throws {
        let p = try Project(bundled: "intro")
        defer { p.remove() }
        for round in 0..<3 {
            let run = try p.run()
            let id = try #require(run.report?.runID)
            let html = p.read("outputs/intro/report.html") ?? ""
            #expect(html.contains("run <code>\(id)</code>"), "round \(round): the report shows run \(id)")
            #expect(!html.contains("@RUN_ID@") && !html.contains("@DURATION@"))
            if round > 0 { #expect(html.contains("4 cached")) }
        }
    }

    @Test func aFailedCellShowsItsErrorAndTheCellsItSkipped() throws {
        let p = try Project("""
            cells:
              - id: broken
                outputs: [x.txt]
                code: echo "about to fail" >&2; exit 3
              - id: after
                inputs: [x.txt]
                code: cat x.txt
            """)
        defer { p.remove() }
        #expect(try p.run().result.status == 1)
        let html = try #require(p.read("outputs/nb/report.html"))
        #expect(html.contains("<span class=\"badge failed\">failed</span>"))
        #expect(html.contains("exited with status 3"))
        #expect(html.contains("about to fail"))
        #expect(html.contains("<span class=\"badge skipped\">skipped</span>"))
    }
}

@Suite("splitbook export: refusals and run.sh failures (the real binary)", .serialized)
struct ExportEdgeTests {
    @Test func exportNeverOverwritesADirectoryThatIsNotAnExport() throws {
        let p = try Project(bundled: "intro")
        defer { p.remove() }
        try p.write("mine/keep.txt", "precious\n")
        let refused = try p.splitbook(["export", "offline", p.notebook, "-o", "mine"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not a splitbook export"))
        #expect(p.read("mine/keep.txt") == "precious\n")
        // An earlier export is replaced whole: a file left in it does not survive.
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        try p.write("job/stale.txt", "old\n")
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        #expect(p.read("job/stale.txt") == nil)
        #expect(p.read("job/run.sh") != nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: p.url.path).filter { $0.hasPrefix(".job") }
        #expect(leftovers.isEmpty)
    }

    @Test func theOnlineBundleNeedsARunToPinItsArtifacts() throws {
        let p = try Project(bundled: "intro")
        defer { p.remove() }
        let result = try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("run it first"))
        #expect(!FileManager.default.fileExists(atPath: p.url.appendingPathComponent("svc").path))
        let report = try p.splitbook(["export", "html", p.notebook])
        #expect(report.status == 1)
        #expect(report.stderr.contains("has not been run"))
    }

    @Test func runShStopsAtAMissingOutputAndTakesParamsFromTheEnvironment() throws {
        let p = try Project("""
            params: {n: 3, label: "it's \\"quoted\\""}
            cells:
              - id: count
                params: [n, label]
                outputs: [n.txt]
                publish: {count: n.txt}
                lang: python
                code: |
                  import json, os, splitbook
                  open("n.txt", "w").write(os.environ["PARAM_N"] + " " + splitbook.params["label"] + " " + json.dumps(splitbook.params))
              - id: lazy
                inputs: [n.txt]
                outputs: [never.txt]
                code: cat n.txt
            """)
        defer { p.remove() }
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        var env = environmentWithoutSplitbook(p, registry: "reg")
        env["PARAM_N"] = "7"
        let result = try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: env)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cell 'lazy' exited 0 but did not write its declared output 'never.txt'"))
        #expect(p.read("reg/count/versions/1/content") == #"7 it's "quoted" {"label": "it's \"quoted\"", "n": 7}"#)
        let lineage = p.read("reg/count/versions/1/lineage.json") ?? ""
        #expect(JSONValue.parseJSON(Data(lineage.utf8)).map { v -> Bool in
            guard case .object(let o) = v, case .object(let params)? = o["params"] else { return false }
            return params == ["label": .string(#""it's \"quoted\"""#), "n": .string("7")]
        } == true, "lineage params as canonical JSON text: \(lineage)")
        // One cell by name, as an Argo task runs it; an unknown name is a usage error.
        #expect(try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh", "count"], in: p.url, environment: env).status == 0)
        #expect(try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh", "nope"], in: p.url, environment: env).status == 2)
    }

    @Test func runShDigestsLargeArtifactsExactlyAsSplitbookDoes() throws {
        // From 64 MiB on, digests are SHA-256 over per-chunk SHA-256s; run.sh must agree or serve would refuse its versions.
        let p = try Project("""
            cells:
              - id: big
                outputs: [big.bin]
                publish: {big: big.bin}
                lang: python
                code: |
                  with open("big.bin", "wb") as f:
                      for i in range(65):
                          f.write(bytes([i]) * (1 << 20))
                      f.write(b"tail")
            """)
        defer { p.remove() }
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        let env = environmentWithoutSplitbook(p, registry: "reg")
        #expect(try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: env).status == 0)
        let byRun = ExportedHalvesTests.lineageHashes(p.url.appendingPathComponent("outputs/registry"))
        #expect(byRun["big"]?[1] != nil)
        #expect(ExportedHalvesTests.lineageHashes(p.url.appendingPathComponent("reg")) == byRun)
    }
}

@Suite("splitbook export: the templates of the generated files (the real binary)", .serialized)
struct ExportTemplateTests {
    @Test func valuesReachTheFilesExactlyNeitherHTMLEscapedNorReadAsTags() throws {
        let p = try Project(#"""
            title: "Fish & <chips> {{not a tag}}"
            params: {label: "a<b & \"c\" 'd' {{e}}", n: 2}
            env: {MARK: "x&y<z>"}
            cells:
              - markdown: "Prose with <b>tags</b> & {{braces}}\n"
              - id: first
                params: [label]
                outputs: [out.txt]
                code: |
                  printf '%s|%s' "$PARAM_LABEL" "$MARK" > out.txt
            """#)
        defer { p.remove() }
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        for name in files(under: p.url.appendingPathComponent("job")) {
            let text = p.read("job/" + name) ?? ""
            for entity in ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x"] { #expect(!text.contains(entity), "\(entity) in \(name)") }
        }
        // notebook.yaml loads back to the same title, params, env and prose.
        let original = try NotebookFile(path: p.url.appendingPathComponent(p.notebook).path).check.notebook!
        let exported = try NotebookFile(path: p.url.appendingPathComponent("job/notebook.yaml").path)
        #expect(exported.check.diagnostics.isEmpty, "\(exported.renderedDiagnostics)")
        let copy = try #require(exported.check.notebook)
        #expect(copy.title == original.title)
        // (A half keeps the params its cells read: here `label`, not `n`.)
        #expect(copy.params.map { "\($0.name.value)=\($0.value.canonicalJSON)" }
                == original.params.filter { $0.name.value == "label" }.map { "\($0.name.value)=\($0.value.canonicalJSON)" })
        #expect(copy.env.map { "\($0.name.value)=\($0.value)" } == ["MARK=x&y<z>"])
        let prose = copy.cells.compactMap { if case .markdown(let m) = $0 { m.text } else { nil } }
        #expect(prose == ["Prose with <b>tags</b> & {{braces}}\n"])
        // The manifests carry the value as a YAML string; the README shows the title as written.
        #expect(p.read("job/cronjob.yaml")?.contains(#"value: "a<b & \"c\" 'd' {{e}}""#) == true)
        #expect(p.read("job/workflow.yaml")?.contains(#"value: "a<b & \"c\" 'd' {{e}}""#) == true)
        #expect(p.read("job/README.md")?.hasPrefix("# Fish & <chips> {{not a tag}}: the offline half\n") == true)
        // run.sh hands the cell the exact bytes.
        let env = environmentWithoutSplitbook(p, registry: "reg")
        let job = try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: env)
        #expect(job.status == 0, "\(job.stderr)")
        #expect(p.read("job/work/first/out.txt") == #"a<b & "c" 'd' {{e}}|x&y<z>"#)
    }

    @Test func cellsWhoseIdsDifferOnlyInDashAndUnderscoreGetAFunctionEach() throws {
        let p = try Project("""
            cells:
              - id: a_b
                outputs: [x.txt]
                code: echo first > x.txt
              - id: a-b
                inputs: [x.txt]
                outputs: [y.txt]
                code: cat x.txt > y.txt; echo second >> y.txt
            """)
        defer { p.remove() }
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        let env = environmentWithoutSplitbook(p, registry: "reg")
        let job = try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: env)
        #expect(job.status == 0, "\(job.stderr)")
        #expect(p.read("job/work/a-b/y.txt") == "first\nsecond\n")
        // By name, as an Argo task runs it: each name runs its own cell.
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("job/work"))
        #expect(try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh", "a_b"], in: p.url, environment: env).status == 0)
        #expect(p.read("job/work/a_b/x.txt") == "first\n")
    }
}
