import SplitbookSpec

/// How to run a notebook (the flags of `splitbook run`).
public struct RunOptions: Sendable {
    /// What `--force` asks to rerun regardless of the cache.
    public enum Force: Sendable, Equatable {
        case none
        case all
        case cell(CellID)
    }

    /// `-p name=value` overrides, already parsed as YAML values.
    public var params: [String: JSONValue] = [:]
    public var force: Force = .none
    /// `--only CELL`: that cell and its upstream.
    public var only: CellID?
    public var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Where runs write (`--outputs`).
    public var outputs: URL = URL(fileURLWithPath: "outputs")
    /// The artifact registry (`--registry`, `SPLITBOOK_REGISTRY`, default `outputs/registry`).
    public var registry: URL = URL(fileURLWithPath: "outputs/registry")
    /// `--locked`: a lock file that does not cover the `python:` blocks is an error, never rewritten.
    public var locked = false
    /// The sweep this run is a point of (`run --sweep`), recorded in its history record.
    public var sweep: String?
    /// Set when runs share the workspace at once (a sweep's points): the caller
    /// holds the workspace's lock, and each step key executes once among them.
    public var shared: SharedExecutions?

    public init() {}
}

import Foundation

/// A problem with the request itself (unknown param, unknown cell): exit 2.
public struct RunUsageError: Error, CustomStringConvertible {
    public let description: String
}
