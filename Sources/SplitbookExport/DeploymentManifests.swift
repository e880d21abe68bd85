import Foundation
import SplitbookEngine
import SplitbookSpec

/// The container and Kubernetes files of the two exports. Both halves mount
/// the same registry volume (`<name>-registry`): it is all they share. The
/// text is in `Templates/DeploymentTemplates.swift`; this builds what goes in.
enum DeploymentManifests {
    /// Port the serving container listens on.
    static let port = 8080
    /// The numeric user and group both images run as, and the manifests ask for.
    static let uid = 10001

    /// The base image that has the cells' interpreters, and what to add to it.
    struct BaseImage {
        let from: String
        /// Swift's image lacks python3, which Python cells need.
        let installPython: Bool
        /// Interpreters of other languages, which the Dockerfile asks the reader to install.
        let otherCommands: [String]
    }

    /// Python's official image of the version the notebook's environments were
    /// locked with (`python:3.11.7-slim`), else of 3.11; Swift's when a cell is
    /// Swift, with python3 added when a cell or the image itself (`needsPython`) runs it.
    static func baseImage(for cells: [CodeCell], interpreter: String?, needsPython: Bool = false) -> BaseImage {
        let languages = Set(cells.map(\.language.description))
        let others = cells.compactMap { cell -> String? in
            if case .other = cell.language { return cell.command.first } else { return nil }
        }
        let swift = languages.contains("swift")
        return BaseImage(from: swift ? "swift:6.0-jammy" : "python:\(interpreter ?? "3.11")-slim", installPython: swift && (needsPython || languages.contains("python")),
                         otherCommands: Set(others).sorted())
    }

    /// A locked environment the image installs, in a virtual environment of its own.
    struct EnvironmentImage {
        let pinsFile: String
        let path: String
        let variable: String
        let cells: String
    }

    /// What the Dockerfile templates are rendered with.
    struct ImageContext {
        let notebook: String
        let dns: String
        let port: Int
        let uid = DeploymentManifests.uid
        let from: String
        let installPython: Bool
        let otherCommands: [String]
        let environments: [EnvironmentImage]
        /// (Mustache reads stored properties only.)
        let hasEnvironments: Bool

        init(notebook: String, cells: [CodeCell], environments: HalfEnvironments, needsPython: Bool) {
            let image = DeploymentManifests.baseImage(for: cells, interpreter: environments.interpreter, needsPython: needsPython)
            self.environments = environments.entries.map {
                EnvironmentImage(pinsFile: $0.pinsFile, path: $0.imagePath, variable: $0.variable,
                                 cells: $0.cells.map(\.rawValue).joined(separator: ", "))
            }
            hasEnvironments = !environments.entries.isEmpty
            self.notebook = notebook
            dns = NotebookHalf.dnsName(notebook)
            port = DeploymentManifests.port
            from = image.from
            installPython = image.installPython
            otherCommands = image.otherCommands
        }
    }

    static func offlineDockerfile(notebook: String, cells: [CodeCell], environments: HalfEnvironments) -> String {
        offlineDockerfileTemplate.render(ImageContext(notebook: notebook, cells: cells, environments: environments, needsPython: false))
    }

    /// The serving image's HEALTHCHECK runs python3, so its image always has one.
    static func onlineDockerfile(notebook: String, cells: [CodeCell], environments: HalfEnvironments) -> String {
        onlineDockerfileTemplate.render(ImageContext(notebook: notebook, cells: cells, environments: environments, needsPython: true))
    }

    /// What `docker build` leaves out of the image: a local run's directories, and the files that
    /// name the image's tag (which is derived from everything else, see `imageTag`).
    static let dockerignore = "work/\nregistry/\nREADME.md\ncronjob.yaml\nworkflow.yaml\ndeployment.yaml\nregistry-pvc.yaml\n"

    /// The tag of a half's image: the first 12 hex digits of the digest of the export as staged
    /// so far, which must be the image's whole build context (everything but what
    /// `dockerignore` leaves out). Another export content gets another tag; the same content, the same tag.
    static func imageTag(_ staging: URL) throws -> String {
        do {
            return try Tree.scan(staging.path, hasher: FileHasher(memoURL: nil)).digest.short
        } catch {
            throw ExportError("cannot read back \(staging.path) to tag its image: \(error)")
        }
    }

    /// What the manifest templates are rendered with.
    struct ManifestContext {
        let notebook: String
        /// The name of the objects and their image: `<notebook>-offline` or `<notebook>-online`.
        let name: String
        /// The PersistentVolumeClaim both halves mount.
        let registry: String
        let half: String
        /// The image, `name:tag`.
        let image: String
        let port = DeploymentManifests.port
        let uid = DeploymentManifests.uid
        /// The CronJob's schedule, a YAML scalar.
        var schedule = ""
        var params: [ParamEnv] = []
        var tasks: [WorkflowTask] = []

        init(notebook: String, half: Stage, tag: String) {
            self.notebook = notebook
            name = NotebookHalf.dnsName(notebook) + "-" + half.rawValue
            image = name + ":" + tag
            registry = NotebookHalf.dnsName(notebook) + "-registry"
            self.half = half.rawValue
        }
    }

    /// A param as a container's environment variable.
    struct ParamEnv {
        let upperName: String
        /// The default value's environment text, as a YAML string.
        let value: String

        init(_ param: Param) {
            upperName = param.name.value.uppercased()
            value = NotebookYAML.scalar(param.value.environmentText, forceString: true)
        }
    }

    /// A DAG task of the Argo Workflow.
    struct WorkflowTask {
        /// The task's name, a DNS label unique in the workflow.
        let task: String
        /// The tasks it waits for, as a YAML flow sequence's items; nil when none.
        let dependencies: String?
        /// The cell it runs, a YAML scalar.
        let cell: String
    }

    static func cronJob(notebook: String, params: [Param], schedule: String, tag: String) -> String {
        var context = ManifestContext(notebook: notebook, half: .offline, tag: tag)
        context.schedule = NotebookYAML.scalar(schedule, forceString: true)
        context.params = params.map(ParamEnv.init)
        return cronJobTemplate.render(context)
    }

    /// An Argo Workflow: one DAG task per offline cell, dependencies from the
    /// notebook's graph, the cells' directories on a shared volume.
    static func workflow(notebook: String, graph: CellGraph, nodes: [Int], params: [Param], tag: String) -> String {
        var taskNames: [Int: String] = [:]
        var used = Set<String>()
        for node in nodes {
            var candidate = NotebookHalf.dnsName(graph.cells[node].id.value.rawValue)
            var n = 2
            while used.contains(candidate) { candidate = NotebookHalf.dnsName(graph.cells[node].id.value.rawValue) + "-\(n)"; n += 1 }
            used.insert(candidate)
            taskNames[node] = candidate
        }
        var context = ManifestContext(notebook: notebook, half: .offline, tag: tag)
        context.params = params.map(ParamEnv.init)
        context.tasks = nodes.map { node in
            let deps = Set(graph.upstream[node].map(\.from)).filter { taskNames[$0] != nil }.sorted().map { taskNames[$0]! }
            return WorkflowTask(task: taskNames[node]!, dependencies: deps.isEmpty ? nil : deps.joined(separator: ", "),
                        cell: NotebookYAML.scalar(graph.cells[node].id.value.rawValue, forceString: true))
        }
        return workflowTemplate.render(context)
    }

    static func deployment(notebook: String, tag: String) -> String {
        deploymentTemplate.render(ManifestContext(notebook: notebook, half: .online, tag: tag))
    }

    /// The PersistentVolumeClaim of the registry; both halves carry the same one.
    static func registryClaim(notebook: String) -> String {
        registryClaimTemplate.render(ManifestContext(notebook: notebook, half: .offline, tag: ""))
    }
}
