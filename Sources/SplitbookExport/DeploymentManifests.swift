import SplitbookEngine
import SplitbookSpec

/// The container and Kubernetes files of the two exports. Both halves mount
/// the same registry volume (`<name>-registry`): it is all they share. The
/// text is in `Templates/DeploymentTemplates.swift`; this builds what goes in.
enum DeploymentManifests {
    /// Port the serving container listens on.
    static let port = 8080

    /// The base image that has the cells' interpreters, and what to add to it.
    struct BaseImage {
        let from: String
        /// Swift's image lacks python3, which Python cells need.
        let installPython: Bool
        /// Interpreters of other languages, which the Dockerfile asks the reader to install.
        let otherCommands: [String]
    }

    /// Python's official image of the version the notebook's environments were
    /// locked with (`python:3.11.7-slim`), else of 3.11; Swift's when a cell is Swift.
    static func baseImage(for cells: [CodeCell], interpreter: String?) -> BaseImage {
        let languages = Set(cells.map(\.language.description))
        let others = cells.compactMap { cell -> String? in
            if case .other = cell.language { return cell.command.first } else { return nil }
        }
        let swift = languages.contains("swift")
        return BaseImage(from: swift ? "swift:6.0-jammy" : "python:\(interpreter ?? "3.11")-slim", installPython: swift && languages.contains("python"),
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
        let from: String
        let installPython: Bool
        let otherCommands: [String]
        let environments: [EnvironmentImage]
        /// (Mustache reads stored properties only.)
        let hasEnvironments: Bool

        init(notebook: String, cells: [CodeCell], environments: HalfEnvironments) {
            let image = DeploymentManifests.baseImage(for: cells, interpreter: environments.interpreter)
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
        offlineDockerfileTemplate.render(ImageContext(notebook: notebook, cells: cells, environments: environments))
    }

    static func onlineDockerfile(notebook: String, cells: [CodeCell], environments: HalfEnvironments) -> String {
        onlineDockerfileTemplate.render(ImageContext(notebook: notebook, cells: cells, environments: environments))
    }

    static let dockerignore = "work/\nregistry/\n"

    /// What the manifest templates are rendered with.
    struct ManifestContext {
        let notebook: String
        /// The name of the objects and their image: `<notebook>-offline` or `<notebook>-online`.
        let name: String
        /// The PersistentVolumeClaim both halves mount.
        let registry: String
        let half: String
        let port = DeploymentManifests.port
        /// The CronJob's schedule, a YAML scalar.
        var schedule = ""
        var params: [ParamEnv] = []
        var tasks: [WorkflowTask] = []

        init(notebook: String, half: Stage) {
            self.notebook = notebook
            name = NotebookHalf.dnsName(notebook) + "-" + half.rawValue
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

    static func cronJob(notebook: String, params: [Param], schedule: String) -> String {
        var context = ManifestContext(notebook: notebook, half: .offline)
        context.schedule = NotebookYAML.scalar(schedule, forceString: true)
        context.params = params.map(ParamEnv.init)
        return cronJobTemplate.render(context)
    }

    /// An Argo Workflow: one DAG task per offline cell, dependencies from the
    /// notebook's graph, the cells' directories on a shared volume.
    static func workflow(notebook: String, graph: CellGraph, nodes: [Int], params: [Param]) -> String {
        var taskNames: [Int: String] = [:]
        var used = Set<String>()
        for node in nodes {
            var candidate = NotebookHalf.dnsName(graph.cells[node].id.value.rawValue)
            var n = 2
            while used.contains(candidate) { candidate = NotebookHalf.dnsName(graph.cells[node].id.value.rawValue) + "-\(n)"; n += 1 }
            used.insert(candidate)
            taskNames[node] = candidate
        }
        var context = ManifestContext(notebook: notebook, half: .offline)
        context.params = params.map(ParamEnv.init)
        context.tasks = nodes.map { node in
            let deps = Set(graph.upstream[node].map(\.from)).filter { taskNames[$0] != nil }.sorted().map { taskNames[$0]! }
            return WorkflowTask(task: taskNames[node]!, dependencies: deps.isEmpty ? nil : deps.joined(separator: ", "),
                        cell: NotebookYAML.scalar(graph.cells[node].id.value.rawValue, forceString: true))
        }
        return workflowTemplate.render(context)
    }

    static func deployment(notebook: String) -> String {
        deploymentTemplate.render(ManifestContext(notebook: notebook, half: .online))
    }
}
