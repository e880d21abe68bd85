/// A rule a string value must follow (an id, a path, a name), stated three
/// ways from one place: a Swift check for the loader, an ECMA-262 regex for
/// the JSON Schema, and words for error messages.
public struct ValuePattern: Sendable {
    /// What such a value is called ("cell id").
    public let noun: String
    /// The rule in words, for messages.
    public let rule: String
    /// The same rule as an ECMA-262 regex, for `splitbook schema`.
    public let regex: String
    let kind: DiagnosticKind
    /// Returns nil when `value` follows the rule, else why it does not.
    let problem: @Sendable (String) -> String?
}

extension ValuePattern {
    public static let cellID = ValuePattern(
        noun: "cell id",
        rule: "a lowercase letter followed by up to 63 lowercase letters, digits, '_' or '-'",
        regex: "^[a-z][a-z0-9_-]{0,63}$",
        kind: .invalidCellID,
        problem: { isIdentifier($0, first: isLowerAlpha, rest: { isLowerAlpha($0) || isDigit($0) || $0 == 0x5F || $0 == 0x2D }, max: 64)
            ? nil : "is not a valid cell id" })

    public static let paramName = ValuePattern(
        noun: "param name",
        rule: "a letter or '_' followed by letters, digits or '_'",
        regex: "^[A-Za-z_][A-Za-z0-9_]*$",
        kind: .invalidValue,
        problem: { isIdentifier($0, first: { isAlpha($0) || $0 == 0x5F }, rest: { isAlpha($0) || isDigit($0) || $0 == 0x5F }, max: 128)
            ? nil : "is not a valid param name" })

    public static let envName = ValuePattern(
        noun: "environment variable name",
        rule: "a letter or '_' followed by letters, digits or '_'",
        regex: "^[A-Za-z_][A-Za-z0-9_]*$",
        kind: .invalidEnvName,
        problem: { isIdentifier($0, first: { isAlpha($0) || $0 == 0x5F }, rest: { isAlpha($0) || isDigit($0) || $0 == 0x5F }, max: 256)
            ? nil : "is not a valid environment variable name" })

    public static let artifactName = ValuePattern(
        noun: "artifact name",
        rule: "a lowercase letter or digit followed by up to 63 lowercase letters, digits, '.', '_' or '-'",
        regex: "^[a-z0-9][a-z0-9._-]{0,63}$",
        kind: .invalidArtifactName,
        problem: { isArtifactName($0) ? nil : "is not a valid artifact name" })

    public static let artifactReference = ValuePattern(
        noun: "artifact reference",
        rule: "NAME, NAME@VERSION (a number, optionally with a 'v') or NAME@ALIAS",
        regex: "^[a-z0-9][a-z0-9._-]{0,63}(@([a-z][a-z0-9_-]{0,63}|v?[0-9]{1,9}))?$",
        kind: .invalidArtifactName,
        problem: { parseArtifactReference($0) == nil ? "is not a valid artifact reference" : nil })

    /// Relative paths: not empty, not absolute, no `..` component, no backslash or NUL.
    public static let relativePath = ValuePattern(
        noun: "path",
        rule: "a relative path inside the notebook's directory (no leading '/', no '..')",
        regex: "^(?!/)(?!(.*/)?\\.\\.(/|$))(?!(\\./*)+$)[^\\\\\\u0000]+$",
        kind: .invalidPath,
        problem: { pathProblem($0) })

    /// Parses `name`, `name@3`, `name@v3` or `name@alias`.
    public static func parseArtifactReference(_ text: String) -> ArtifactReference? {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard isArtifactName(String(parts[0])) else { return nil }
        let name = ArtifactName(String(parts[0]))
        guard parts.count == 2 else { return ArtifactReference(name: name) }
        let selector = parts[1]
        let digits = selector.hasPrefix("v") ? selector.dropFirst() : selector[...]
        if !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let v = Int(digits) {
            return ArtifactReference(name: name, selector: .version(v))
        }
        guard cellID.problem(String(selector)) == nil else { return nil }
        return ArtifactReference(name: name, selector: .alias(String(selector)))
    }

    /// Normalises a valid relative path (`./a//b/` -> `a/b`).
    public static func normalize(_ path: String) -> RelativePath {
        RelativePath(normalized: path.split(separator: "/").filter { $0 != "." }.joined(separator: "/"))
    }

    private static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.hasPrefix("/") { return "is absolute; paths are relative to the notebook's directory" }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return "contains '..'; a cell may only see files inside the notebook's directory"
        }
        if path.contains("\\") || path.contains("\0") { return "contains a backslash or NUL character" }
        if normalize(path).rawValue.isEmpty { return "names the directory itself" }
        return nil
    }

    private static func isArtifactName(_ s: String) -> Bool {
        isIdentifier(s, first: { isLowerAlpha($0) || isDigit($0) },
                     rest: { isLowerAlpha($0) || isDigit($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }, max: 64)
    }

    private static func isIdentifier(_ s: String, first: (UInt8) -> Bool, rest: (UInt8) -> Bool, max: Int) -> Bool {
        let bytes = s.utf8
        guard let head = bytes.first, bytes.count <= max, first(head) else { return false }
        return bytes.dropFirst().allSatisfy(rest)
    }

    private static func isLowerAlpha(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
    private static func isAlpha(_ c: UInt8) -> Bool { isLowerAlpha(c) || (c >= 0x41 && c <= 0x5A) }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
