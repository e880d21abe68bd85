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

    /// Nil when `value` follows the rule, else why it does not ("is not a valid cell id").
    public func check(_ value: String) -> String? { problem(value) }
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

    /// A JSON pointer (RFC 6901) naming a field of a response: `/probability`, `/scores/0`.
    public static let jsonPointer = ValuePattern(
        noun: "JSON pointer",
        rule: "a JSON pointer such as /probability or /scores/0 (RFC 6901)",
        regex: "^(/([^~/]|~[01])*)*$",
        kind: .invalidValue,
        problem: { isJSONPointer($0) ? nil : "is not a JSON pointer (write /field, /field/0; ~0 for ~ and ~1 for /)" })

    /// `version:` in a `python:` block: a major.minor version, optionally with the patch.
    public static let pythonVersion = ValuePattern(
        noun: "Python version",
        rule: "a Python version such as \"3.11\" or \"3.11.9\"",
        regex: "^3\\.[0-9]{1,2}(\\.[0-9]{1,3})?$",
        kind: .invalidValue,
        problem: { isPythonVersion($0) ? nil : "is not a Python version (write it quoted, like \"3.11\")" })

    /// One requirement specifier (PEP 508), as `pip install` takes it; installer options are not requirements.
    public static let requirement = ValuePattern(
        noun: "requirement",
        rule: "a requirement specifier such as numpy>=2 or scikit-learn==1.7.*",
        regex: "^[A-Za-z0-9][^\\n\\r]*$",
        kind: .invalidRequirement,
        problem: { requirementProblem($0) })

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

    private static func isJSONPointer(_ s: String) -> Bool {
        guard s.isEmpty || s.hasPrefix("/") else { return false }
        var rest = s[...]
        while let tilde = rest.firstIndex(of: "~") {
            let next = rest[rest.index(after: tilde)...]
            guard let escaped = next.first, escaped == "0" || escaped == "1" else { return false }
            rest = next.dropFirst()
        }
        return true
    }

    private static func isPythonVersion(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.count <= 3 && parts[0] == "3"
            && parts.dropFirst().allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.utf8.allSatisfy(isDigit) }
    }

    private static func requirementProblem(_ s: String) -> String? {
        if s.hasPrefix("-") {
            return "is an installer option, not a requirement (set PIP_INDEX_URL or UV_INDEX_URL in the environment for another index)"
        }
        let first = s.utf8.first ?? 0
        guard isAlpha(first) || isDigit(first) else {
            return "<>=!~".utf8.contains(first)
                ? "is not a requirement: in a [flow, list] a comma ends the item, so quote a range: 'numpy>=1.26,<3'"
                : "does not start with a package name"
        }
        return s.contains(where: \.isNewline) ? "spans several lines; give one requirement per item" : nil
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
