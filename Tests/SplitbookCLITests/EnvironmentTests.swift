import Foundation
import SplitbookTestSupport
import Testing

/// CONTRACT §10: a cell's Python packages are part of its step. Every test
/// installs wheels it built itself, from a local folder, with no network.
@Suite(.serialized) struct EnvironmentTests {
    static let notebook = """
    python:
      requirements: [demo-pkg==1.0]
    cells:
      - id: first
        lang: python
        outputs: [first.txt]
        code: |
          import demo_pkg
          open("first.txt", "w").write(demo_pkg.VERSION)
      - id: second
        lang: python
        inputs: [first.txt]
        outputs: [second.txt]
        code: |
          import demo_pkg
          open("second.txt", "w").write(open("first.txt").read() + "+" + demo_pkg.VERSION)
      - id: shell
        outputs: [shell.txt]
        code: echo no Python here > shell.txt
    """

    /// A project with the notebook above and wheels of demo-pkg 1.0 and 1.1.
    static func project(_ yaml: String = notebook) throws -> (Project, LocalIndex) {
        let project = try Project(yaml)
        let index = try LocalIndex(in: project.dir)
        try index.wheel("demo-pkg", "1.0")
        try index.wheel("demo-pkg", "1.1")
        return (project, index)
    }

    /// An installer that creates the environment, then hangs while installing
    /// (touching the returned marker file first): the environment that uses it.
    static func hangingInstaller(_ p: Project, _ env: [String: String]) throws -> ([String: String], String) {
        let fake = try p.dir.write("fake-bin/uv", """
        #!/bin/sh
        if [ "$1" = venv ]; then for last; do :; done; exec python3 -m venv --without-pip "$last"; fi
        touch "$(dirname "$0")/installing"; exec sleep 60
        """)
        chmod(fake.path, 0o755)
        var hanging = env
        hanging["SPLITBOOK_INSTALLER"] = "uv"
        hanging["PATH"] = fake.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "")
        return (hanging, fake.deletingLastPathComponent().appendingPathComponent("installing").path)
    }

    static func lock(_ project: Project) -> [String: Any]? {
        project.read("notebooks/nb.lock").flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func pins(_ project: Project) -> [String] {
        let environments = lock(project)?["environments"] as? [[String: Any]] ?? []
        return environments.flatMap { ($0["packages"] as? [[String: Any]] ?? []).map { "\($0["name"]!)==\($0["version"]!)" } }
    }

    static func leftovers(_ project: Project) -> [String] {
        let envs = project.url.appendingPathComponent("outputs/.splitbook/envs").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: envs)) ?? []).filter { $0.hasPrefix(".tmp-") }
    }

    static func environmentCount(_ project: Project) -> Int {
        let envs = project.url.appendingPathComponent("outputs/.splitbook/envs").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: envs)) ?? []).filter { !$0.hasPrefix(".") }.count
    }

    @Test(arguments: LocalIndex.Installer.allCases)
    func aDeclaredEnvironmentIsLockedBuiltOnceAndRunIn(installer: LocalIndex.Installer) throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(installer)
        let first = try p.run(environment: env)
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(first.result.stderr.contains("notebooks/nb.lock: locked demo-pkg==1.0 for Python"))
        #expect(Self.pins(p) == ["demo-pkg==1.0"])
        #expect(p.read("outputs/nb/second.txt") == "1.0+1.0")
        #expect(Self.environmentCount(p) == 1)
        #expect(Self.leftovers(p).isEmpty)

        let again = try p.run(environment: env)
        #expect(again.statuses == ["first": "cached", "second": "cached", "shell": "cached"])
        #expect(!again.result.stderr.contains("python:"), "nothing to lock or build: \(again.result.stderr)")

        // A lock in the repository and an empty cache (a fresh clone): the environment is built from the lock, nothing resolved.
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("outputs"))
        let fresh = try p.run(["--locked"], environment: env)
        #expect(fresh.result.status == 0, "\(fresh.result.stderr)")
        #expect(fresh.result.stderr.contains("building the Python environment"))
        #expect(!fresh.result.stderr.contains("resolving"))
        #expect(p.read("outputs/nb/first.txt") == "1.0")
    }

    @Test func aLockChangeRerunsExactlyThePythonCellsAndSaysWhichPackage() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(.uv)
        #expect(try p.run(environment: env).result.status == 0)
        try p.write("notebooks/nb.yaml", Self.notebook.replacingOccurrences(of: "demo-pkg==1.0", with: "demo-pkg==1.1"))

        let status = try p.splitbook(["status", p.notebook], environment: env)
        #expect(status.stdout.contains("first"), "\(status.stdout)")
        #expect(!FileManager.default.fileExists(atPath: p.url.appendingPathComponent("notebooks/nb.lock").path) || Self.pins(p) == ["demo-pkg==1.0"],
                "status never rewrites the lock")

        let run = try p.run(environment: env)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.statuses == ["first": "ran", "second": "ran", "shell": "cached"])
        #expect(run.cell("first")?.reasons == ["package demo-pkg 1.0 -> 1.1"])
        #expect(Self.pins(p) == ["demo-pkg==1.1"])
        #expect(p.read("outputs/nb/second.txt") == "1.1+1.1")

        // Back to 1.0: the earlier resolution and environment are reused, and every cell is a cache hit.
        try p.write("notebooks/nb.yaml", Self.notebook)
        let back = try p.run(environment: env)
        #expect(back.statuses == ["first": "cached", "second": "cached", "shell": "cached"])
        #expect(!back.result.stderr.contains("resolving"), "\(back.result.stderr)")
        #expect(Self.environmentCount(p) == 2)
    }

    @Test func runLockedRefusesAStaleLockAndLeavesItAlone() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(.uv)
        #expect(try p.splitbook(["lock", p.notebook], environment: env).status == 0)
        let before = p.read("notebooks/nb.lock")
        try p.write("notebooks/nb.yaml", Self.notebook.replacingOccurrences(of: "demo-pkg==1.0", with: "demo-pkg==1.1"))
        let run = try p.run(["--locked"], environment: env)
        #expect(run.result.status == 2)
        #expect(run.result.stderr.contains("notebooks/nb.yaml:2:3: error: notebooks/nb.lock does not lock these requirements"), "\(run.result.stderr)")
        #expect(run.result.stderr.contains("splitbook lock notebooks/nb.yaml"))
        #expect(p.read("notebooks/nb.lock") == before)
        #expect(p.read("outputs/nb/first.txt") == nil, "no cell ran")

        let lock = try p.splitbook(["lock", p.notebook], environment: env)
        #expect(lock.status == 0)
        #expect(lock.stdout.contains("demo-pkg 1.0 -> 1.1"), "\(lock.stdout)")
        #expect(try p.splitbook(["lock", p.notebook], environment: env).stdout.contains("is up to date"))
    }

    /// The wrong cache hit the environments exist to prevent: a package upgraded
    /// in the interpreter the cells run with (no `python:` block).
    @Test func upgradingAnInstalledPackageRerunsTheCellsThatRunWithIt() throws {
        let p = try Project("""
        cells:
          - id: show
            lang: python
            outputs: [v.txt]
            code: |
              import demo_pkg
              open("v.txt", "w").write(demo_pkg.VERSION)
          - id: shell
            outputs: [s.txt]
            code: echo unaffected > s.txt
        """)
        defer { p.remove() }
        let index = try LocalIndex(in: p.dir)
        try index.wheel("demo-pkg", "1.0")
        try index.wheel("demo-pkg", "1.1")
        let venv = p.url.appendingPathComponent("caller-venv")
        let env = try index.environment(.pip)
        #expect(try Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "venv", venv.path]).status == 0)
        let pip = [venv.appendingPathComponent("bin/python").path, "-m", "pip", "install", "--quiet"]
        func install(_ version: String) throws {
            let result = try Process.capture(URL(fileURLWithPath: pip[0]), Array(pip.dropFirst()) + ["demo-pkg==\(version)"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
        }
        try install("1.0")
        var caller = env
        caller["PATH"] = venv.appendingPathComponent("bin").path + ":" + (env["PATH"] ?? "")

        #expect(try p.run(environment: caller).ran == ["show", "shell"])
        #expect(try p.run(environment: caller).ran.isEmpty)
        try install("1.1")
        let explain = try p.splitbook(["explain", p.notebook, "show"], environment: caller)
        #expect(explain.stdout.contains("changed: package demo-pkg 1.0 -> 1.1"), "\(explain.stdout)")
        let rerun = try p.run(environment: caller)
        #expect(rerun.ran == ["show"])
        #expect(rerun.cell("show")?.reasons == ["package demo-pkg 1.0 -> 1.1"])
        #expect(p.read("outputs/nb/v.txt") == "1.1")
    }

    /// With a `python:` block the cells run in their own environment: the
    /// caller's packages neither leak in nor enter the key.
    @Test func aDeclaredEnvironmentIgnoresTheCallersPackages() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        try index.wheel("leaky", "1.0")
        let env = try index.environment(.uv)
        #expect(try p.run(environment: env).result.status == 0)
        try p.write("notebooks/nb.yaml", Self.notebook + """

          - id: isolated
            lang: python
            outputs: [found.txt]
            code: |
              import importlib.util
              open("found.txt", "w").write(str(importlib.util.find_spec("leaky") is not None))
        """)
        // The caller's interpreter is a venv holding 'leaky'.
        let venv = p.url.appendingPathComponent("caller-venv")
        #expect(try Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "venv", venv.path]).status == 0)
        #expect(try Process.capture(venv.appendingPathComponent("bin/python"), ["-m", "pip", "install", "-q", "leaky"], environment: env).status == 0)
        var caller = env
        caller["PATH"] = venv.appendingPathComponent("bin").path + ":" + (env["PATH"] ?? "")
        let run = try p.run(environment: caller)
        #expect(run.statuses["first"] == "cached", "the caller's interpreter changed, the environment did not")
        #expect(p.read("outputs/nb/found.txt") == "False")
    }

    @Test func notebooksWithTheSameLockShareOneEnvironment() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(.pip)
        try p.write("notebooks/other.yaml", """
        python:
          requirements: [demo-pkg==1.0]
        cells:
          - id: other
            lang: python
            outputs: [o.txt]
            code: |
              import demo_pkg
              open("o.txt", "w").write("other " + demo_pkg.VERSION)
        """)
        #expect(try p.run(environment: env).result.status == 0)
        let other = try p.splitbook(["run", "notebooks/other.yaml"], environment: env)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(!other.stderr.contains("building"), "\(other.stderr)")
        #expect(p.read("outputs/other/o.txt") == "other 1.0")
        #expect(Self.environmentCount(p) == 1)
    }

    @Test func concurrentRunsBuildTheSharedEnvironmentOnce() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let shared = p.url.appendingPathComponent("shared-envs").path
        let env = try index.environment(.pip, extra: ["SPLITBOOK_ENVS": shared])
        #expect(try p.splitbook(["lock", p.notebook], environment: env).status == 0)
        // A fresh clone's situation: the lock, no environment yet.
        for name in try FileManager.default.contentsOfDirectory(atPath: shared) where !name.hasPrefix(".") {
            try FileManager.default.removeItem(atPath: shared + "/" + name)
        }
        let results = try (0..<2).map { i in
            try BackgroundProcess(Binary.url, ["run", p.notebook, "--outputs", "out\(i)", "--locked"], in: p.url, environment: env)
        }.map { $0.finish() }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        #expect(results.filter { $0.stderr.contains("building the Python environment") }.count == 1,
                "\(results.map(\.stderr))")
        let built = try FileManager.default.contentsOfDirectory(atPath: shared).filter { !$0.hasPrefix(".") }
        #expect(built.count == 1)
        #expect(p.read("out0/nb/second.txt") == "1.0+1.0")
        #expect(p.read("out1/nb/second.txt") == "1.0+1.0")
    }

    /// kill -9 during a build leaves a `.tmp-PID-…` directory that no run uses; the next run removes it.
    @Test func aKilledBuildLeavesNothingALaterRunUses() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(.pip)
        #expect(try p.splitbook(["lock", p.notebook], environment: env).status == 0)
        try FileManager.default.removeItem(at: p.url.appendingPathComponent("outputs"))
        // An installer that creates the environment, then hangs while installing.
        let (hanging, marker) = try Self.hangingInstaller(p, env)
        let run = try BackgroundProcess(Binary.url, ["run", p.notebook], in: p.url, environment: hanging)
        #expect(eventually(seconds: 30) { FileManager.default.fileExists(atPath: marker) })
        #expect(Self.leftovers(p).count == 1, "a build is under way, in one staging directory")
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.finish()
        #expect(Self.environmentCount(p) == 0, "nothing half-built was renamed into place")

        let next = try p.run(environment: env)
        #expect(next.result.status == 0, "\(next.result.stderr)")
        #expect(Self.leftovers(p).isEmpty)
        #expect(Self.environmentCount(p) == 1)
        #expect(p.read("outputs/nb/second.txt") == "1.0+1.0")
    }

    /// Ctrl-C during a build: exit 130, the staging directory removed, nothing built.
    @Test func anInterruptedBuildIsRemoved() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(.pip)
        let (hanging, marker) = try Self.hangingInstaller(p, env)
        let run = try BackgroundProcess(Binary.url, ["run", p.notebook], in: p.url, environment: hanging)
        #expect(eventually(seconds: 30) { FileManager.default.fileExists(atPath: marker) })
        kill(run.process.processIdentifier, SIGINT)
        let result = run.finish()
        #expect(result.status == 130, "\(result.stderr)")
        #expect(Self.leftovers(p).isEmpty)
        #expect(Self.environmentCount(p) == 0)
        #expect(p.read("notebooks/nb.lock") == nil, "no lock for a resolution that never finished")
    }

    @Test(arguments: LocalIndex.Installer.allCases)
    func anUninstallableRequirementIsALocatedErrorThatLeavesNothing(installer: LocalIndex.Installer) throws {
        let (p, index) = try Self.project(Self.notebook.replacingOccurrences(of: "[demo-pkg==1.0]", with: "[demo-pkg==1.0, no-such-package==3]"))
        defer { p.remove() }
        let run = try p.run(environment: try index.environment(installer))
        #expect(run.result.status == 2)
        #expect(run.result.stderr.contains("notebooks/nb.yaml:2:33: error: cannot install 'no-such-package==3'"), "\(run.result.stderr)")
        #expect(run.result.stderr.lowercased().contains("no-such-package"))
        #expect(p.read("notebooks/nb.lock") == nil)
        #expect(Self.leftovers(p).isEmpty)
        #expect(Self.environmentCount(p) == 0)
    }

    /// Pins no version satisfies: the installer's own words, at the requirement.
    @Test(arguments: LocalIndex.Installer.allCases)
    func impossiblePinsAreALocatedError(installer: LocalIndex.Installer) throws {
        let (p, index) = try Self.project(Self.notebook.replacingOccurrences(of: "[demo-pkg==1.0]", with: "[\"demo-pkg>=2,<3\"]"))
        defer { p.remove() }
        let run = try p.run(environment: try index.environment(installer))
        #expect(run.result.status == 2)
        #expect(run.result.stderr.contains("notebooks/nb.yaml:2:18: error: cannot install 'demo-pkg>=2,<3'"), "\(run.result.stderr)")
        #expect(run.result.stderr.contains(installer == .pip ? "No matching distribution" : "unsatisfiable"), "\(run.result.stderr)")
        #expect(p.read("notebooks/nb.lock") == nil)
        #expect(Self.leftovers(p).isEmpty && Self.environmentCount(p) == 0)
    }

    /// No network: the index is unreachable (a port nothing listens on).
    @Test func anUnreachableIndexIsALocatedErrorThatLeavesNothing() throws {
        let (p, _) = try Self.project()
        defer { p.remove() }
        var env = ProcessInfo.processInfo.environment
        env["SPLITBOOK_ENVS"] = nil
        env["SPLITBOOK_INSTALLER"] = "pip"
        env["PIP_INDEX_URL"] = "http://127.0.0.1:\(HTTP.freePort())/simple"
        env["PIP_RETRIES"] = "0"
        env["PIP_TIMEOUT"] = "2"
        let run = try p.run(environment: env)
        #expect(run.result.status == 2)
        #expect(run.result.stderr.contains("notebooks/nb.yaml:2:18: error: cannot install 'demo-pkg==1.0'"), "\(run.result.stderr)")
        #expect(run.result.stderr.contains("127.0.0.1"), "the installer's own message says where it looked")
        #expect(p.read("notebooks/nb.lock") == nil)
        #expect(Self.leftovers(p).isEmpty)
    }

    @Test func aRequirementsFileIsReadAndItsProblemsLocated() throws {
        let (p, index) = try Self.project(Self.notebook.replacingOccurrences(of: "[demo-pkg==1.0]", with: "requirements.txt"))
        defer { p.remove() }
        let env = try index.environment(.uv)
        try p.write("notebooks/requirements.txt", "# pinned for the course\n--index-url https://example.invalid/simple\ndemo-pkg==1.0\n")
        let bad = try p.run(environment: env)
        #expect(bad.result.status == 2)
        #expect(bad.result.stderr.contains("notebooks/requirements.txt:2:1: error: '--index-url https://example.invalid/simple' is an installer option"),
                "\(bad.result.stderr)")

        try p.write("notebooks/requirements.txt", "# pinned for the course\ndemo-pkg==1.0  # the demo\n")
        let good = try p.run(environment: env)
        #expect(good.result.status == 0, "\(good.result.stderr)")
        #expect(Self.pins(p) == ["demo-pkg==1.0"])
        try p.write("notebooks/requirements.txt", "demo-pkg==1.1\n")
        #expect(try p.run(environment: env).ran == ["first", "second"])
    }

    @Test func aPythonVersionThatIsNotInstalledIsALocatedError() throws {
        let (p, index) = try Self.project(Self.notebook.replacingOccurrences(of: "  requirements: [demo-pkg==1.0]",
                                                                             with: "  requirements: [demo-pkg==1.0]\n  version: \"3.99\""))
        defer { p.remove() }
        let run = try p.run(environment: try index.environment(.pip))
        #expect(run.result.status == 2)
        #expect(run.result.stderr.contains("notebooks/nb.yaml:3:12: error: this block needs Python 3.99"), "\(run.result.stderr)")
    }

    @Test func cacheGCRemovesEnvironmentsNoKeptResultUses() throws {
        let (p, index) = try Self.project()
        defer { p.remove() }
        let env = try index.environment(.uv)
        #expect(try p.run(environment: env).result.status == 0)
        try p.write("notebooks/nb.yaml", Self.notebook.replacingOccurrences(of: "demo-pkg==1.0", with: "demo-pkg==1.1"))
        #expect(try p.run(environment: env).result.status == 0)
        #expect(Self.environmentCount(p) == 2)
        let gc = try p.splitbook(["cache", "gc"], environment: env)
        #expect(gc.stdout.contains("1 Python environments"), "\(gc.stdout)")
        #expect(Self.environmentCount(p) == 1)
        #expect(try p.run(environment: env).ran.isEmpty, "the environment in use was kept")
    }

    @Test func aPythonBlockOnAShellCellIsAnError() throws {
        let p = try Project("""
        cells:
          - id: shell
            outputs: [s.txt]
            python:
              requirements: [numpy]
            code: echo > s.txt
        """)
        defer { p.remove() }
        let check = try p.splitbook(["check", p.notebook])
        #expect(check.status == 2)
        #expect(check.stderr.contains("notebooks/nb.yaml:4:5: error: cell 'shell' is lang sh, but 'python' sets the packages of Python cells"),
                "\(check.stderr)")
    }

    /// `check` warns at the import that works only on this machine, and stops once the lock provides it.
    @Test func checkWarnsAboutImportsNeitherStandardNorLockedNorInputs() throws {
        let yaml = """
        cells:
          - id: train
            lang: python
            inputs: [lib/features.py]
            outputs: [m.txt]
            code: |
              import json, os
              import features
              from demo_pkg import VERSION
              open("m.txt", "w").write(VERSION)
          - id: helper
            lang: python
            file: scripts/helper.py
            outputs: [h.txt]
        """
        let p = try Project(yaml, files: ["lib/features.py": "X = 1\n", "scripts/helper.py": "import os\nimport yaml\n"])
        defer { p.remove() }
        let check = try p.splitbook(["check", p.notebook])
        #expect(check.status == 0, "warnings do not fail the check")
        #expect(check.stderr.contains("notebooks/nb.yaml:9:12: warning: cell 'train' imports 'demo_pkg', which is neither the standard library, "
                                      + "nor declared in a `python` block, nor one of its inputs"), "\(check.stderr)")
        #expect(check.stderr.contains("scripts/helper.py:2:8: warning: cell 'helper' imports 'yaml'"), "\(check.stderr)")
        #expect(check.stderr.contains("requirements: [pyyaml]"))
        #expect(!check.stderr.contains("'features'") && !check.stderr.contains("'json'"))
        #expect(check.stdout.contains("2 warnings"))

        // Declared and locked: the lock's modules are known (the wheel's module is demo_pkg).
        let index = try LocalIndex(in: p.dir)
        try index.wheel("demo-pkg", "1.0")
        try p.write("notebooks/nb.yaml", "python:\n  requirements: [demo-pkg==1.0]\n" + yaml)
        #expect(try p.splitbook(["lock", p.notebook], environment: try index.environment(.uv)).status == 0)
        let locked = try p.splitbook(["check", p.notebook])
        #expect(!locked.stderr.contains("'demo_pkg'"), "\(locked.stderr)")
        #expect(locked.stderr.contains("cell 'helper' imports 'yaml', which is neither the standard library, nor in its lock"))
    }

    static let twoHalves = """
    python:
      requirements: [demo-pkg==1.0]
    cells:
      - id: train
        lang: python
        outputs: [model.txt]
        publish: {model: model.txt}
        code: |
          import demo_pkg
          open("model.txt", "w").write("trained with " + demo_pkg.VERSION)
      - id: score
        stage: online
        lang: python
        uses: [model]
        sample: {x: 1}
        code: |
          import demo_pkg
          MODEL = open("artifacts/model").read()
          def handle(request):
              return {"model": MODEL, "serving": demo_pkg.VERSION}
    """

    /// Both exports carry the lock: the job's image installs exactly it and
    /// run.sh names every difference; `serve` builds the bundle's environment from it.
    @Test func theExportsCarryTheLockAndKeepTheHalvesOnIt() throws {
        let (p, index) = try Self.project(Self.twoHalves)
        defer { p.remove() }
        let env = try index.environment(.pip)
        let run = try p.run(environment: env)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(try p.splitbook(["export", "offline", p.notebook, "-o", "job"], environment: env).status == 0)
        #expect(try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path], environment: env).status == 0)

        let interpreter = (Self.lock(p)?["environments"] as? [[String: Any]])?.first?["interpreter"] as? String ?? "?"
        let keys = try FileManager.default.contentsOfDirectory(atPath: p.url.appendingPathComponent("job/requirements").path)
        #expect(keys.count == 1)
        let key = String(keys[0].dropLast(4))
        #expect(p.read("job/requirements/\(key).txt")?.hasSuffix("\ndemo-pkg==1.0\n") == true)
        #expect(p.read("job/notebook.lock") == p.read("svc/notebook.lock"))
        let dockerfile = p.read("job/Dockerfile") ?? ""
        #expect(dockerfile.contains("FROM python:\(interpreter)-slim"), "\(dockerfile)")
        #expect(dockerfile.contains("pip install --no-cache-dir --no-deps -r /tmp/requirements/\(key).txt"))
        #expect(p.read("svc/Dockerfile")?.contains("splitbook lock /srv/bundle/notebook.yaml --locked --build") == true)
        #expect(p.read("job/notebook.yaml")?.contains("python: {requirements: [\"demo-pkg==1.0\"]}") == true)

        // run.sh against the interpreter on PATH (no demo-pkg), then against environments of other versions.
        func job(_ python: String?, variable: String = "PYTHON_\(key.uppercased())") throws -> Binary.Result {
            var jobEnv = environmentWithoutSplitbook(p, registry: "job-registry")
            jobEnv["PYTHON_\(key.uppercased())"] = nil
            jobEnv[variable] = python
            return try Process.capture(URL(fileURLWithPath: "/bin/sh"), ["job/run.sh"], in: p.url, environment: jobEnv)
        }
        let bare = try job(nil)
        #expect(bare.status == 1)
        #expect(bare.stderr.contains("demo-pkg: the lock has 1.0, not installed"), "\(bare.stderr)")
        let skewed = p.url.appendingPathComponent("skewed")
        #expect(try Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "venv", skewed.path]).status == 0)
        #expect(try Process.capture(skewed.appendingPathComponent("bin/python"), ["-m", "pip", "install", "-q", "demo-pkg==1.1"],
                                    environment: env).status == 0)
        let skew = try job(skewed.appendingPathComponent("bin/python").path)
        #expect(skew.status == 1)
        #expect(skew.stderr.contains("demo-pkg: the lock has 1.0, installed 1.1"), "\(skew.stderr)")
        #expect(p.read("job-registry/model/versions/1/content") == nil, "no cell ran")
        let good = try job(lockedPythons(p, job: "job")[key], variable: "SPLITBOOK_PYTHON")
        #expect(good.status == 0, "\(good.stderr)")
        #expect(p.read("job-registry/model/versions/1/content") == "trained with 1.0")

        // serve: a fresh outputs directory builds the bundle's environment from its lock.
        let port = HTTP.freePort()
        let server = try launch(p, ["serve", "svc", "--port", "\(port)", "--workers", "1", "--registry", "job-registry",
                                    "--outputs", "serve-outputs"], environment: env)
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        #expect(HTTP.wait(for: "http://127.0.0.1:\(port)/readyz", seconds: 60))
        let answer = HTTP.request("POST", "http://127.0.0.1:\(port)/v1/score", body: "{}")
        #expect(answer?.status == 200)
        #expect(answer?.body.contains("\"serving\":\"1.0\"") == true, "\(answer?.body ?? "no answer")")
        #expect(answer?.body.contains("trained with 1.0") == true)
    }
}
