/// A YAML node composed from libyaml's events, remembering where it starts and ends.
///
/// Nodes are reference types so that an alias (`*name`) shares the anchored node
/// instead of copying it: an alias costs one pointer, however large its target.
public final class YAMLNode: Sendable {
    /// What the node holds.
    public enum Kind: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public let kind: Kind
    public let range: SourceRange
    /// An explicit tag such as `!!str`, or nil for an untagged node.
    public let tag: String?

    init(kind: Kind, range: SourceRange, tag: String?) {
        self.kind = kind
        self.range = range
        self.tag = tag
    }

    /// The scalar text, for scalar nodes.
    public var scalar: YAMLScalar? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    /// A word for the node's kind, for messages ("found a list").
    public var kindDescription: String {
        switch kind {
        case .scalar(let s):
            switch s.resolved {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int, .double: return "a number"
            case .string: return "a string"
            }
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` entry of a YAML mapping.
public struct YAMLPair: Sendable {
    public let key: YAMLNode
    public let value: YAMLNode
}

/// A scalar's text and whether it was written plain (unquoted), which decides
/// whether `3` is a number or the string "3".
public struct YAMLScalar: Sendable {
    public let text: String
    public let isPlain: Bool
    /// Explicit tag, if any (`!!str 3` is a string).
    public let tag: String?

    /// The value under YAML 1.2's core schema: plain `null`, `~` and empty are
    /// null; `true`/`false` are booleans; decimal, `0x` and `0o` integers; floats
    /// with `.inf` and `.nan`. Anything quoted or tagged `!!str` is a string.
    /// (YAML 1.1's `yes`/`no`/`on`/`off` are strings here, as in YAML 1.2.)
    public var resolved: ResolvedScalar {
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:int": return Self.resolvePlain(text).flatMap { if case .int = $0 { $0 } else { nil } } ?? .string(text)
            case "tag:yaml.org,2002:float":
                switch Self.resolvePlain(text) {
                case .int(let i)?: return .double(Double(i))
                case .double(let d)?: return .double(d)
                default: return .string(text)
                }
            case "tag:yaml.org,2002:bool": return Self.resolvePlain(text).flatMap { if case .bool = $0 { $0 } else { nil } } ?? .string(text)
            case "tag:yaml.org,2002:null": return .null
            default: return .string(text)
            }
        }
        guard isPlain else { return .string(text) }
        return Self.resolvePlain(text) ?? .string(text)
    }

    private static func resolvePlain(_ s: String) -> ResolvedScalar? {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        guard let first = s.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) else { return nil }
        if s.hasPrefix("0x"), let i = Int(s.dropFirst(2), radix: 16) { return .int(i) }
        if s.hasPrefix("0o"), let i = Int(s.dropFirst(2), radix: 8) { return .int(i) }
        if s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }),
           let i = Int(s) {
            return .int(i)
        }
        // Core-schema floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        if s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }),
           s.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }), let d = Double(s) {
            return .double(d)
        }
        return nil
    }
}

/// A scalar's value after tag resolution.
public enum ResolvedScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}
