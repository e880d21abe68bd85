/// A cell's id: `[a-z][a-z0-9_-]{0,63}`, unique in its notebook.
public struct CellID: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: CellID, b: CellID) -> Bool { a.rawValue < b.rawValue }
}

/// A registry artifact's name: `[a-z0-9][a-z0-9._-]{0,63}`, safe as a directory name.
public struct ArtifactName: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: ArtifactName, b: ArtifactName) -> Bool { a.rawValue < b.rawValue }
}

/// What a `uses` entry names: `name`, `name@VERSION` or `name@ALIAS`.
public struct ArtifactReference: Hashable, Sendable, CustomStringConvertible {
    /// Which version of the artifact: a fixed version number or a movable alias.
    public enum Selector: Hashable, Sendable {
        case version(Int)
        case alias(String)
    }

    public let name: ArtifactName
    public let selector: Selector

    public init(name: ArtifactName, selector: Selector = .alias("latest")) {
        self.name = name
        self.selector = selector
    }

    public var description: String {
        switch selector {
        case .version(let v): return "\(name)@\(v)"
        case .alias(let a): return a == "latest" ? name.rawValue : "\(name)@\(a)"
        }
    }
}

/// A path relative to the notebook's directory or to a cell's working
/// directory, normalised: no `.` components, no empty components, no trailing
/// slash. Never absolute and never containing `..` (the loader refuses those).
public struct RelativePath: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(normalized rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public var components: [Substring] { rawValue.split(separator: "/") }
    public static func < (a: RelativePath, b: RelativePath) -> Bool { a.rawValue < b.rawValue }
}
