/// One problem found in a notebook: what, where, and how to fix it.
///
/// Diagnostics are collected (never thrown one at a time) and rendered late by
/// `DiagnosticRenderer`, compiler style. Their texts live in one catalogue,
/// `Diagnostic+Catalogue.swift`.
public struct Diagnostic: Sendable, Equatable {
    public enum Severity: String, Sendable, Equatable {
        case error, warning
    }

    /// A secondary remark: a suggestion, a hop of a cycle, a fix.
    public struct Note: Sendable, Equatable {
        public var message: String
        /// Where the note points, when it points somewhere.
        public var range: SourceRange?
        /// Literal YAML to write, shown indented under the note.
        public var snippet: String?

        public init(_ message: String, at range: SourceRange? = nil, snippet: String? = nil) {
            self.message = message
            self.range = range
            self.snippet = snippet
        }
    }

    /// A stable name for the kind of problem (for tests, `--json` and docs).
    public var kind: DiagnosticKind
    public var severity: Severity
    public var message: String
    /// Where the problem is; nil for problems about the file as a whole.
    public var range: SourceRange?
    public var notes: [Note]

    public init(_ kind: DiagnosticKind, _ message: String, at range: SourceRange?, notes: [Note] = []) {
        self.init(kind, .error, message, at: range, notes: notes)
    }

    public init(_ kind: DiagnosticKind, _ severity: Severity, _ message: String,
                at range: SourceRange?, notes: [Note] = []) {
        self.kind = kind
        self.severity = severity
        self.message = message
        self.range = range
        self.notes = notes
    }

    public var isError: Bool { severity == .error }
}

/// Every kind of problem the loader and the validator report.
public enum DiagnosticKind: String, Sendable, Equatable, CaseIterable {
    // YAML and file level
    case yamlSyntax = "yaml-syntax"
    case yamlLimit = "yaml-limit"
    case emptyNotebook = "empty-notebook"
    case duplicateKey = "duplicate-key"
    // Shape of the document
    case unknownKey = "unknown-key"
    case missingKey = "missing-key"
    case wrongType = "wrong-type"
    case invalidValue = "invalid-value"
    case unsupportedVersion = "unsupported-version"
    // Cells
    case invalidCellID = "invalid-cell-id"
    case duplicateCellID = "duplicate-cell-id"
    case codeAndFile = "code-and-file"
    case noCode = "no-code"
    case unknownLanguage = "unknown-language"
    case invalidPath = "invalid-path"
    case missingSource = "missing-source"
    case duplicateOutput = "duplicate-output"
    case selfInput = "self-input"
    case unknownNeed = "unknown-need"
    case unknownParam = "unknown-param"
    case invalidEnvName = "invalid-env-name"
    case reservedEnvName = "reserved-env-name"
    case invalidArtifactName = "invalid-artifact-name"
    case publishNotOutput = "publish-not-output"
    case duplicatePublish = "duplicate-publish"
    case cycle = "cycle"
    // The offline/online split (CONTRACT §6)
    case onlineReadsOfflineOutput = "online-reads-offline-output"
    case onlineNeedsOffline = "online-needs-offline"
    case onlinePublishes = "online-publishes"
    case onlineHasOutputs = "online-has-outputs"
    case onlineNeedsSeveral = "online-needs-several"
    case offlineNeedsOnline = "offline-needs-online"
    case offlineHasSample = "offline-has-sample"
    case unpublishedArtifact = "unpublished-artifact"
    case onlineWithoutSample = "online-without-sample"
    case latencyOverBudget = "latency-over-budget"
    // Environments (CONTRACT §10)
    case invalidRequirement = "invalid-requirement"
    case pythonNotPython = "python-not-python"
    case unlockedImport = "unlocked-import"
    case lockOutOfDate = "lock-out-of-date"
    case installFailed = "install-failed"
    // Parity (CONTRACT §12)
    case parityNotEndpoint = "parity-not-endpoint"
    case parityRows = "parity-rows"
    // Request schemas (CONTRACT §11)
    case invalidRequestSchema = "invalid-request-schema"
    case sampleAgainstSchema = "sample-against-schema"
    // Micro-batching (handle_batch)
    case batchingNotOnlinePython = "batching-not-online-python"
}

extension Unicode.Scalar {
    /// `U+2028`: a code point as messages write it (at least four hex digits).
    var codePoint: String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
