import Foundation

/// The subset of JSON Schema (draft 2020-12) an endpoint's `request_schema`
/// may use, and validation of requests against it: the first failure with
/// its JSON pointer, which `serve` answers as 422 and `check` reports for a
/// sample. Unknown keywords are refused up front rather than ignored, so a
/// schema never silently accepts what its author meant to reject.
public struct JSONSchemaValidator: Sendable {
    public static let keywords: Set<String> = [
        "$schema", "$id", "title", "description", "examples", "default",
        "type", "enum", "const", "properties", "required", "additionalProperties", "items",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
        "minItems", "maxItems", "minProperties", "maxProperties", "anyOf", "oneOf", "allOf", "not",
    ]

    /// The first place a value breaks the schema.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        /// Where in the value (`/age`, `/items/2`, "" for the whole value).
        public var pointer: String
        public var message: String
        public var description: String { (pointer.isEmpty ? "the request" : pointer) + ": " + message }
    }

    public let schema: JSONValue

    public init(schema: JSONValue) { self.schema = schema }

    /// Problems with the schema itself (unknown keywords, wrong shapes), located by JSON pointer into it.
    public static func problems(in schema: JSONValue, at pointer: String = "") -> [String] {
        switch schema {
        case .bool: return []
        case .object(let members):
            var out: [String] = []
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                let here = pointer + "/" + key
                guard keywords.contains(key) else { out.append("\(here): unsupported keyword '\(key)'"); continue }
                switch key {
                case "properties":
                    guard case .object(let props) = value else { out.append("\(here): must be an object of schemas"); continue }
                    for (name, sub) in props.sorted(by: { $0.key < $1.key }) { out += problems(in: sub, at: here + "/" + escape(name)) }
                case "items", "additionalProperties", "not":
                    out += problems(in: value, at: here)
                case "anyOf", "oneOf", "allOf":
                    guard case .array(let subs) = value, !subs.isEmpty else { out.append("\(here): must be a non-empty list of schemas"); continue }
                    for (i, sub) in subs.enumerated() { out += problems(in: sub, at: here + "/\(i)") }
                case "pattern":
                    if case .string(let p) = value, (try? NSRegularExpression(pattern: p)) != nil { continue }
                    out.append("\(here): must be a regular expression")
                default: break
                }
            }
            return out
        default:
            return ["\(pointer.isEmpty ? "the schema" : pointer): a schema is an object or a boolean"]
        }
    }

    /// The first failure of `value`, or nil when it is valid.
    public func validate(_ value: JSONValue) -> Failure? { Self.check(value, schema, at: "") }

    private static func check(_ value: JSONValue, _ schema: JSONValue, at pointer: String) -> Failure? {
        guard case .object(let s) = schema else {
            return schema == .bool(false) ? Failure(pointer: pointer, message: "is not allowed here") : nil
        }
        func fail(_ message: String) -> Failure { Failure(pointer: pointer, message: message) }
        if let type = s["type"] {
            let names = typeNames(type)
            if !names.contains(where: { hasType(value, $0) }) { return fail("must be \(names.joined(separator: " or ")), not \(typeName(value))") }
        }
        if case .array(let options)? = s["enum"], !options.contains(where: { equal($0, value) }) {
            return fail("must be one of " + options.map(\.canonicalJSON).joined(separator: ", "))
        }
        if let constant = s["const"], !equal(constant, value) { return fail("must be \(constant.canonicalJSON)") }
        if let n = value.number {
            if let m = s["minimum"].flatMap(\.number), n < m { return fail("must be at least \(show(m))") }
            if let m = s["maximum"].flatMap(\.number), n > m { return fail("must be at most \(show(m))") }
            if let m = s["exclusiveMinimum"].flatMap(\.number), n <= m { return fail("must be greater than \(show(m))") }
            if let m = s["exclusiveMaximum"].flatMap(\.number), n >= m { return fail("must be less than \(show(m))") }
        }
        if case .string(let text) = value {
            if let m = s["minLength"].flatMap(\.number), Double(text.count) < m { return fail("must have at least \(show(m)) characters") }
            if let m = s["maxLength"].flatMap(\.number), Double(text.count) > m { return fail("must have at most \(show(m)) characters") }
            if case .string(let p)? = s["pattern"], let regex = try? NSRegularExpression(pattern: p),
               regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                return fail("must match \(p)")
            }
        }
        if case .array(let items) = value {
            if let m = s["minItems"].flatMap(\.number), Double(items.count) < m { return fail("must have at least \(show(m)) items") }
            if let m = s["maxItems"].flatMap(\.number), Double(items.count) > m { return fail("must have at most \(show(m)) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { if let f = check(item, itemSchema, at: pointer + "/\(i)") { return f } }
            }
        }
        if case .object(let members) = value {
            if case .array(let required)? = s["required"] {
                for case .string(let name) in required where members[name] == nil { return fail("lacks the required field '\(name)'") }
            }
            if let m = s["minProperties"].flatMap(\.number), Double(members.count) < m { return fail("must have at least \(show(m)) fields") }
            if let m = s["maxProperties"].flatMap(\.number), Double(members.count) > m { return fail("must have at most \(show(m)) fields") }
            let properties: [String: JSONValue] = { if case .object(let p)? = s["properties"] { return p } else { return [:] } }()
            for name in members.keys.sorted() {
                let here = pointer + "/" + escape(name)
                if let sub = properties[name] {
                    if let f = check(members[name]!, sub, at: here) { return f }
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) { return Failure(pointer: here, message: "is not an allowed field") }
                    if let f = check(members[name]!, extra, at: here) { return f }
                }
            }
        }
        if case .array(let subs)? = s["allOf"] {
            for sub in subs { if let f = check(value, sub, at: pointer) { return f } }
        }
        if case .array(let subs)? = s["anyOf"], !subs.contains(where: { check(value, $0, at: pointer) == nil }) {
            return fail("matches none of the allowed forms (anyOf)")
        }
        if case .array(let subs)? = s["oneOf"] {
            let matching = subs.filter { check(value, $0, at: pointer) == nil }.count
            if matching != 1 { return fail(matching == 0 ? "matches none of the allowed forms (oneOf)" : "matches more than one form (oneOf)") }
        }
        if let sub = s["not"], check(value, sub, at: pointer) == nil { return fail("matches a form that is not allowed (not)") }
        return nil
    }

    /// `"type": "string"` or `"type": ["string", "null"]`.
    private static func typeNames(_ type: JSONValue) -> [String] {
        switch type {
        case .string(let name): return [name]
        case .array(let names): return names.compactMap { if case .string(let n) = $0 { n } else { nil } }
        default: return []
        }
    }

    private static func hasType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .int), ("number", .double), ("integer", .int): return true
        case ("integer", .double(let d)): return d == d.rounded()
        default: return false
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.number, let y = b.number { return x == y }
        return a == b
    }

    private static func show(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)" }

    private static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
