/// A `python:` block (CONTRACT §10): the packages Python cells import,
/// resolved to exact pins in the notebook's lock file and installed into a
/// cached environment that the cells run in. Given at the notebook level for
/// every Python cell; a cell's own block replaces it.
public struct PythonSpec: Sendable {
    /// Where the requirements come from.
    public enum Requirements: Sendable {
        /// `requirements: [numpy>=2, ...]`, each item where it was written.
        case list([Located<String>])
        /// `requirements: requirements.txt`, relative to the notebook's directory.
        case file(Located<RelativePath>)
    }

    public var requirements: Requirements
    /// `version: "3.11"`: the interpreter version the environment needs.
    public var version: Located<String>?
    /// The `python:` key, for messages about the block as a whole.
    public var keyRange: SourceRange

    public init(requirements: Requirements, version: Located<String>?, keyRange: SourceRange) {
        self.requirements = requirements
        self.version = version
        self.keyRange = keyRange
    }
}
