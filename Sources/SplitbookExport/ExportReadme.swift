import SplitbookEngine
import SplitbookSpec

/// The README of each export: what this half of the split is, what it holds,
/// and how to run it on a laptop, in Docker and on Kubernetes. The text is in
/// `Templates/ReadmeTemplates.swift`; this builds what goes in.
enum ExportReadme {
    struct OfflineContext {
        let title: String
        let name: String
        let dns: String
        let schedule: String
        /// The image the manifests name, `name:tag`.
        let image: String
        let cells: [CellRow]
        let hasParams: Bool
        let params: [ParamRow]
        /// An environment assignment that changes the first param (with a space after it), or "".
        let example: String
    }

    struct CellRow {
        let id: String
        let language: String
        /// Markdown: the paths it reads and the artifacts it publishes, or a dash.
        let reads: String
        let publishes: String
    }

    struct ParamRow {
        let name: String
        let json: String
        let upperName: String
    }

    static func offline(_ half: NotebookHalf, schedule: String, tag: String) -> String {
        let name = half.notebook.name
        func codeList(_ items: [String]) -> String { items.isEmpty ? "—" : items.map { "`\($0)`" }.joined(separator: ", ") }
        let context = OfflineContext(
            title: half.notebook.title ?? name, name: name, dns: NotebookHalf.dnsName(name), schedule: schedule,
            image: NotebookHalf.dnsName(name) + "-offline:" + tag,
            cells: half.codeCells.map { cell in
                CellRow(id: cell.id.value.rawValue, language: cell.language.description,
                        reads: codeList(cell.inputs.map(\.value.rawValue)), publishes: codeList(cell.publish.map(\.artifact.value.rawValue)))
            },
            hasParams: !half.params.isEmpty,
            params: half.params.map { ParamRow(name: $0.name.value, json: $0.value.canonicalJSON, upperName: $0.name.value.uppercased()) },
            example: half.params.first.map { "PARAM_\($0.name.value.uppercased())=\($0.value.environmentText) " } ?? "")
        return offlineTemplate.render(context)
    }

    struct OnlineContext {
        let title: String
        let name: String
        let dns: String
        let port: Int
        /// The image the manifests name, `name:tag`.
        let image: String
        let runID: String
        let endpoints: [EndpointRow]
        let hasArtifacts: Bool
        let artifacts: [ArtifactRow]
    }

    struct EndpointRow {
        let endpoint: String
        /// Markdown: the cells a request goes through.
        let chain: String
        /// The first sample request as a single-quoted shell word.
        let sampleWord: String
    }

    struct ArtifactRow {
        let reference: String
        let version: Int
        let contentHash: String
    }

    static func online(_ half: NotebookHalf, endpoints: [OpenAPIDocument.Endpoint], consumed: [ServingBundleExporter.Consumed],
                       runID: String, tag: String) -> String {
        let name = half.notebook.name
        let context = OnlineContext(
            title: half.notebook.title ?? name, name: name, dns: NotebookHalf.dnsName(name), port: DeploymentManifests.port,
            image: NotebookHalf.dnsName(name) + "-online:" + tag, runID: runID,
            endpoints: endpoints.map { endpoint in
                let body = endpoint.samples.first?.canonicalJSON ?? "{}"
                return EndpointRow(endpoint: endpoint.name, chain: endpoint.chain.map { "`\($0)`" }.joined(separator: " → "),
                                   sampleWord: "'" + body.replacingOccurrences(of: "'", with: "'\\''") + "'")
            },
            hasArtifacts: !consumed.isEmpty,
            artifacts: consumed.map { ArtifactRow(reference: $0.reference, version: $0.version, contentHash: $0.contentHash.short) })
        return onlineTemplate.render(context)
    }
}
