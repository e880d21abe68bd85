import Foundation
import SplitbookEngine

/// `outputs/NAME/report.html`: the HTML report every run leaves beside the
/// notebook's browsable outputs (a cell may not declare an output of that name).
public enum ReportPage {

    /// Renders `run` once, with the run id, start and duration as
    /// placeholders, fills them in and replaces the notebook's report (or
    /// writes it to `url`); returns the template (the no-op fast path keeps it
    /// to fill in later).
    @discardableResult
    public static func write(file: NotebookFile, run: RunReport, workspace: Workspace, to url: URL? = nil) throws -> String {
        let template = HTMLReport(document: try RunDocument(file: file, run: run, workspace: workspace)).html(header: .placeholders)
        let html = NoopStamp.fill(template, ["@RUN_ID@": run.runID, "@STARTED@": ISOTime.string(run.startedAt),
                                             "@DURATION@": DurationText.format(run.duration)])
        let target = url ?? workspace.reportURL(run.notebook)
        try AtomicFile.makeDirectory(target.deletingLastPathComponent().path)
        try AtomicFile.write(Data(html.utf8), to: target, durable: false, spares: workspace.store.spares)
        return template
    }
}

/// Why a report could not be made (the notebook never ran, or has errors).
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
