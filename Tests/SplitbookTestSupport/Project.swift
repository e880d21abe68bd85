import Foundation

/// A throw-away project directory with one notebook, run through the real binary.
public struct Project: Sendable {
    public let dir: TemporaryDirectory
    public let notebook: String

    /// Creates `notebooks/nb.yaml` holding `yaml` plus the given files (relative to `notebooks/`).
    public init(_ yaml: String, files: [String: String] = [:]) throws {
        dir = try TemporaryDirectory("splitbook-project")
        notebook = "notebooks/nb.yaml"
        try dir.write(notebook, yaml)
        for (path, text) in files { try dir.write("notebooks/" + path, text) }
    }

    /// A copy of the repository's `notebooks/` folder (notebooks, data, shared code); `notebook` names one of them.
    public init(bundled name: String) throws {
        dir = try TemporaryDirectory("splitbook-project")
        notebook = "notebooks/\(name).yaml"
        try FileManager.default.copyItem(at: Binary.packageRoot.appendingPathComponent("notebooks"),
                                         to: dir.url.appendingPathComponent("notebooks"))
    }

    public var url: URL { dir.url }

    public func write(_ path: String, _ text: String) throws { try dir.write(path, text) }

    public func read(_ path: String) -> String? { try? String(contentsOf: url.appendingPathComponent(path), encoding: .utf8) }

    /// `splitbook ARGS` in the project directory.
    public func splitbook(_ arguments: [String], environment: [String: String]? = nil) throws -> Binary.Result {
        try Binary.run(arguments, in: url, environment: environment)
    }

    /// `splitbook run nb --json ARGS`, with the parsed report.
    public func run(_ extra: [String] = [], environment: [String: String]? = nil) throws -> RunOutcome {
        let result = try splitbook(["run", notebook, "--json"] + extra, environment: environment)
        return RunOutcome(result: result, report: try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
    }

    public func remove() { dir.remove() }
}

/// A run's exit status, output and parsed `--json` report.
public struct RunOutcome: Sendable {
    public let result: Binary.Result
    public let report: Report?

    /// Cell id -> status (`ran`, `cached`, `failed`, `skipped`, `online`, `excluded`).
    public var statuses: [String: String] { Dictionary(uniqueKeysWithValues: (report?.cells ?? []).map { ($0.id, $0.status) }) }
    /// The ids of the cells that executed, in report order.
    public var ran: [String] { (report?.cells ?? []).filter { $0.status == "ran" }.map(\.id) }
    public func cell(_ id: String) -> Report.Cell? { report?.cells.first { $0.id == id } }
}

/// The parts of `splitbook run --json` the tests read.
public struct Report: Decodable, Sendable {
    public struct Cell: Decodable, Sendable {
        public let id: String
        public let status: String
        public let reasons: [String]
        public let warnings: [String]
        public let metrics: [String: Double]
        public let earlyCutoff: Bool
        public let published: [String: Int]
        public let newVersions: [String]
        public let samples: String?
        public let key: String?
        public let stdout: String?
        public let stderr: String?
    }
    /// Bytes read, written and cloned, by stage (`hash`, `placement`, `workspace`, `check`, ...).
    public struct IOCount: Decodable, Sendable {
        public let read: Int64
        public let written: Int64
        public let cloned: Int64
    }
    public let runID: String
    public let cells: [Cell]
    public let io: [String: IOCount]?
}
