import Foundation
import SplitbookEngine
import SplitbookSpec

/// `splitbook export online`: the online half as a serving bundle that
/// `splitbook serve DIR` serves (CONTRACT §7):
///
///     notebook.yaml      the online cells as a notebook of their own
///     notebook.lock, requirements/KEY.txt   the Python cells' locked packages; `serve` runs them in that environment
///     <sources>          the files those cells read (a shared feature module)
///     contract.json      the artifacts it consumes, with the versions and
///                        content hashes the last notebook run validated
///     openapi.json       one path per endpoint; samples and their responses as examples
///     Dockerfile, .dockerignore   the image; its tag in the manifests is a digest of its content
///     bin/splitbook      a static Linux build of splitbook for the image (see `ServingBinary`)
///     deployment.yaml    Kubernetes Deployment + Service with /healthz and /readyz probes
///     registry-pvc.yaml  the PersistentVolumeClaim of the registry both halves mount
///     README.md
public struct ServingBundleExporter {
    public let file: NotebookFile
    public let workspace: Workspace
    public let registry: ArtifactRegistry
    /// The splitbook executable to put in `bin/` for the image (`--binary`); nil: the running one.
    /// Either must be a static Linux build (`ServingBinary`).
    public var binary: URL?

    public init(file: NotebookFile, workspace: Workspace, registry: ArtifactRegistry) {
        self.file = file
        self.workspace = workspace
        self.registry = registry
    }

    /// An artifact the bundle consumes, as the last run validated it.
    struct Consumed {
        var reference: String
        var artifact: String
        var version: Int
        var contentHash: Digest
        var cells: [String]
    }

    /// Writes the bundle to `target` (replacing an earlier export there); returns the files written.
    /// Throws `ServingBinary.Refused` when the executable for the image is not a static Linux build.
    public func export(to target: URL) throws -> [String] {
        guard let notebook = file.check.notebook, let graph = file.check.graph else { throw ExportError("the notebook has errors") }
        let executable = try ServingBinary.choose(explicit: binary, running: ServingBinary.running)
        let half = NotebookHalf(.online, notebook: notebook, graph: graph)
        guard !half.nodes.isEmpty else { throw ExportError("\(file.source.path) has no online cells: there is nothing to serve") }
        let (run, entries) = try lastValidatedRun(notebook: notebook, half: half)
        let consumed = try consumedArtifacts(half: half, entries: entries, run: run)
        let endpoints = half.nodes.filter(graph.isEndpoint).map { node in
            let id = graph.cells[node].id.value.rawValue
            return OpenAPIDocument.Endpoint(name: id, chain: graph.chain(endingAt: node).map { graph.cells[$0].id.value.rawValue },
                                            samples: graph.cells[node].samples ?? [], responses: responses(entries[id]),
                                            requestSchema: graph.cells[node].requestSchema?.value)
        }

        let environments = try HalfEnvironments.make(file: file, half: half)
        let parityRows = try parityRowsFiles(half: half, entries: entries)
        var out = try ExportDirectory(target: target, kind: "online \(notebook.name)")
        do {
            try out.write(half.yaml(environments, parityRows: parityRows.mapValues(\.path)), to: "notebook.yaml")
            for rows in parityRows.values { try out.copy(URL(fileURLWithPath: workspace.store.path(of: rows.digest)), to: rows.path.rawValue) }
            try environments.write(into: &out)
            for source in half.sources { try out.copy(file.directory.appendingPathComponent(source.rawValue), to: source.rawValue) }
            try out.write(contract(notebook: notebook, run: run, consumed: consumed, endpoints: endpoints).prettyJSON() + "\n", to: "contract.json")
            try out.write(OpenAPIDocument.make(notebook: notebook.name, endpoints: endpoints).prettyJSON() + "\n", to: "openapi.json")
            try out.write(DeploymentManifests.onlineDockerfile(notebook: notebook.name, cells: half.codeCells, environments: environments),
                          to: "Dockerfile")
            try out.write(DeploymentManifests.dockerignore, to: ".dockerignore")
            try out.copy(executable, to: "bin/splitbook")
            chmod(out.staging.appendingPathComponent("bin/splitbook").path, 0o755)
            // Everything the image holds is written: its tag names that content.
            let tag = try DeploymentManifests.imageTag(out.staging)
            try out.write(DeploymentManifests.deployment(notebook: notebook.name, tag: tag), to: "deployment.yaml")
            try out.write(DeploymentManifests.registryClaim(notebook: notebook.name), to: "registry-pvc.yaml")
            try out.write(ExportReadme.online(half, endpoints: endpoints, consumed: consumed, runID: run.runID, tag: tag), to: "README.md")
            try out.commit()
        } catch {
            out.abandon()
            throw error
        }
        return out.files.sorted()
    }

    /// The newest run in which every online cell ran or was cached, with each cell's cache entry.
    private func lastValidatedRun(notebook: Notebook, half: NotebookHalf) throws -> (RunReport, [String: CacheEntry]) {
        let history = RunHistory(workspace: workspace)
        let ids = Set(half.codeCells.map(\.id.value.rawValue))
        for runID in history.runIDs(notebook.name).reversed() {
            guard let run = history.load(notebook.name, runID) else { continue }
            var entries: [String: CacheEntry] = [:]
            for cell in run.cells where ids.contains(cell.id) && (cell.status == .ran || cell.status == .cached) {
                if let key = cell.key, let entry = workspace.entry(key) { entries[cell.id] = entry }
            }
            if entries.count == ids.count { return (run, entries) }
        }
        throw ExportError("no run of \(file.source.path) in \(workspace.root.path) ran its online cells: run it first "
                          + "(`splitbook run \(file.source.path)`); the bundle records the artifact versions a run validated")
    }

    private func consumedArtifacts(half: NotebookHalf, entries: [String: CacheEntry], run: RunReport) throws -> [Consumed] {
        var byReference: [String: Consumed] = [:]
        for cell in half.codeCells {
            let id = cell.id.value.rawValue
            for use in cell.uses {
                let reference = use.value.description
                guard let digest = entries[id]?.components.uses[reference] else { continue }
                if byReference[reference] != nil {
                    byReference[reference]!.cells.append(id)
                    continue
                }
                let name = use.value.name
                guard let version = registry.versions(name).reversed().first(where: { registry.lineage(name, $0)?.contentHash == digest }) else {
                    throw ExportError("the registry at \(registry.root.path) no longer holds the '\(name)' content that run \(run.runID) "
                                      + "validated (\(digest.short)); rerun the notebook or pass the registry it used (--registry)")
                }
                byReference[reference] = Consumed(reference: reference, artifact: name.rawValue, version: version, contentHash: digest, cells: [id])
            }
        }
        return byReference.values.sorted { $0.reference < $1.reference }
    }

    /// The parity rows each endpoint with `parity` was checked against in the
    /// validated run, as `parity/ENDPOINT.jsonl` in the bundle (CONTRACT §12).
    private func parityRowsFiles(half: NotebookHalf, entries: [String: CacheEntry]) throws -> [CellID: (path: RelativePath, digest: Digest)] {
        var files: [CellID: (path: RelativePath, digest: Digest)] = [:]
        for cell in half.codeCells where cell.parity != nil {
            guard let digest = entries[cell.id.value.rawValue]?.samples, let data = workspace.store.data(digest),
                  case .object(let top)? = JSONValue.parseJSON(data), case .object(let parity)? = top["parity"],
                  case .string(let hex)? = parity["rowsDigest"], let rows = Digest(hex: hex), workspace.store.data(rows) != nil else {
                throw ExportError("the last run of \(file.source.path) recorded no parity rows for '\(cell.id.value)': run it again")
            }
            files[cell.id.value] = (RelativePath(normalized: "parity/\(cell.id.value).jsonl"), rows)
        }
        return files
    }

    /// The responses of an endpoint's samples in the last run.
    private func responses(_ entry: CacheEntry?) -> [JSONValue] {
        guard let digest = entry?.samples, let data = workspace.store.data(digest),
              let document = JSONValue.parseJSON(data),
              case .object(let top) = document, case .array(let samples)? = top["samples"] else { return [] }
        return samples.compactMap { if case .object(let s) = $0 { s["response"] } else { nil } }
    }

    private func contract(notebook: Notebook, run: RunReport, consumed: [Consumed], endpoints: [OpenAPIDocument.Endpoint]) -> JSONValue {
        .object([
            "format": .int(1),
            "half": .string("online"),
            "notebook": .string(notebook.name),
            "validatedBy": .object(["runID": .string(run.runID)]),
            "consumes": .array(consumed.map {
                .object(["reference": .string($0.reference), "artifact": .string($0.artifact), "version": .int($0.version),
                         "contentHash": .string($0.contentHash.hex), "cells": .array($0.cells.map { .string($0) })])
            }),
            "endpoints": .array(endpoints.map {
                .object(["name": .string($0.name), "path": .string("/v1/\($0.name)"), "chain": .array($0.chain.map { .string($0) })])
            }),
            "registry": .object(["environment": .string("SPLITBOOK_REGISTRY")]),
        ])
    }
}
