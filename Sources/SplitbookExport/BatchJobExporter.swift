import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook export offline`: the offline half as a batch job directory
/// (CONTRACT §7):
///
///     notebook.yaml      the offline cells as a notebook of their own
///     notebook.lock, requirements/KEY.txt   the Python cells' locked packages (see `HalfEnvironments`)
///     <sources>          the files those cells read, at their paths
///     run.sh             the job without splitbook (see `BatchJobScript`)
///     support/splitbook.py   the helper module Python cells import
///     Dockerfile, .dockerignore   the image; its tag in the manifests is a digest of its content
///     cronjob.yaml       Kubernetes CronJob running run.sh on a schedule
///     workflow.yaml      Argo Workflow, one DAG task per cell
///     registry-pvc.yaml  the PersistentVolumeClaim of the registry both halves mount
///     contract.json      what the job publishes (and reads from the registry)
///     README.md
public struct BatchJobExporter {
    public let file: NotebookFile
    /// Cron schedule of the CronJob.
    public var schedule = "0 3 * * *"

    public init(file: NotebookFile) { self.file = file }

    /// Writes the export to `target` (replacing an earlier export there); returns the files written.
    public func export(to target: URL) throws -> [String] {
        guard let notebook = file.check.notebook, let graph = file.check.graph else { throw ExportError("the notebook has errors") }
        let half = NotebookHalf(.offline, notebook: notebook, graph: graph)
        guard !half.nodes.isEmpty else { throw ExportError("\(file.source.path) has no offline cells: there is no batch job to export") }
        let environments = try HalfEnvironments.make(file: file, half: half)
        var out = try ExportDirectory(target: target, kind: "offline \(notebook.name)")
        do {
            try out.write(half.yaml(environments), to: "notebook.yaml")
            try environments.write(into: &out)
            for source in half.sources { try out.copy(file.directory.appendingPathComponent(source.rawValue), to: source.rawValue) }
            let script = BatchJobScript(notebook: notebook, graph: graph, nodes: half.nodes, params: half.params, environments: environments)
            try out.write(script.text, to: "run.sh", executable: true)
            if half.codeCells.contains(where: { $0.language == .python }) {
                try out.write(PythonHelper.source, to: "support/" + PythonHelper.fileName)
            }
            try out.write(DeploymentManifests.offlineDockerfile(notebook: notebook.name, cells: half.codeCells, environments: environments),
                          to: "Dockerfile")
            try out.write(DeploymentManifests.dockerignore, to: ".dockerignore")
            try out.write(contract(half).prettyJSON() + "\n", to: "contract.json")
            // Everything the image holds is written: its tag names that content.
            let tag = try DeploymentManifests.imageTag(out.staging)
            try out.write(DeploymentManifests.cronJob(notebook: notebook.name, params: half.params, schedule: schedule, tag: tag),
                          to: "cronjob.yaml")
            try out.write(DeploymentManifests.workflow(notebook: notebook.name, graph: graph, nodes: half.nodes, params: half.params, tag: tag),
                          to: "workflow.yaml")
            try out.write(DeploymentManifests.registryClaim(notebook: notebook.name), to: "registry-pvc.yaml")
            try out.write(ExportReadme.offline(half, schedule: schedule, tag: tag), to: "README.md")
            try out.commit()
        } catch {
            out.abandon()
            throw error
        }
        return out.files.sorted()
    }

    private func contract(_ half: NotebookHalf) -> JSONValue {
        let published = Set(half.codeCells.flatMap { $0.publish.map(\.artifact.value) })
        let publishes: [JSONValue] = half.codeCells.flatMap { cell in
            cell.publish.map { p in
                JSONValue.object(["artifact": .string(p.artifact.value.rawValue), "cell": .string(cell.id.value.rawValue),
                                  "path": .string(p.path.value.rawValue)])
            }
        }
        let consumes: [JSONValue] = half.codeCells.flatMap { cell in
            cell.uses.filter { !published.contains($0.value.name) }.map { use in
                JSONValue.object(["reference": .string(use.value.description), "cell": .string(cell.id.value.rawValue)])
            }
        }
        return .object([
            "format": .int(1),
            "half": .string("offline"),
            "notebook": .string(half.notebook.name),
            "cells": .array(half.codeCells.map { .string($0.id.value.rawValue) }),
            "params": .object(Dictionary(uniqueKeysWithValues: half.params.map { ($0.name.value, $0.value) })),
            "publishes": .array(publishes),
            "consumes": .array(consumes),
            "registry": .object([
                "environment": .string("SPLITBOOK_REGISTRY"),
                "layout": .string("NAME/versions/N/{content,lineage.json}, NAME/aliases/ALIAS, NAME/history.jsonl"),
            ]),
        ])
    }
}
