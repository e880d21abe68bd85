import Foundation

/// `outputs/NAME/report.html`: the HTML report every run leaves beside the
/// notebook's browsable outputs (a cell may not declare an output of that name).
public enum ReportPage {
    public static func url(workspace: Workspace, notebook: String) -> URL {
        workspace.notebookDirectory(notebook).appendingPathComponent("report.html")
    }

    /// Renders `run` and replaces the notebook's report with it.
    public static func write(file: NotebookFile, run: RunReport, workspace: Workspace) throws {
        let html = HTMLReport(document: try RunDocument(file: file, run: run, workspace: workspace)).html()
        let url = url(workspace: workspace, notebook: run.notebook)
        try AtomicFile.makeDirectory(url.deletingLastPathComponent().path)
        try AtomicFile.write(Data(html.utf8), to: url, durable: false)
    }

    /// The report of an all-cached run with the run id, start and duration
    /// left as placeholders, for the no-op fast path to fill in.
    public static func template(file: NotebookFile, run: RunReport, workspace: Workspace) throws -> String {
        HTMLReport(document: try RunDocument(file: file, run: run, workspace: workspace)).html(header: .placeholders)
    }
}
