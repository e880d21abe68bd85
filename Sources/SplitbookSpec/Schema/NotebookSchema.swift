/// Generates the JSON Schema (draft 2020-12) of the notebook format from
/// `NotebookFormat`, the same tables the loader checks against. Editors with
/// yaml-language-server use it for completion and validation.
public enum NotebookSchema {
    public static func document() -> JSONValue {
        var root = object(fields: NotebookFormat.notebookFields, required: ["cells"])
        root["$schema"] = .string("https://json-schema.org/draft/2020-12/schema")
        root["$id"] = .string("urn:splitbook:notebook:\(NotebookFormat.version)")
        root["title"] = .string("splitbook notebook")
        root["description"] = .string("A splitbook notebook: markdown and code cells, each code cell a cached step, "
                                      + "tagged offline (batch job) or online (serving).")
        var codeCell = object(fields: NotebookFormat.codeCellFields, required: ["id"])
        codeCell["description"] = .string("A code cell: one cached, hermetic step.")
        codeCell["oneOf"] = .array([.object(["required": .array([.string("code")])]),
                                     .object(["required": .array([.string("file")])])])
        let online: JSONValue = .object(["properties": .object(["stage": .object(["const": .string("online")])]),
                                         "required": .array([.string("stage")])])
        let known = JSONValue.array(Language.known.map(JSONValue.string))
        codeCell["allOf"] = .array([
            // Online cells neither publish nor write outputs; offline cells take no samples.
            .object(["if": online,
                     "then": .object(["properties": .object(["publish": .bool(false), "outputs": .bool(false)])]),
                     "else": .object(["properties": .object(["sample": .bool(false)])])]),
            // A language splitbook does not know needs an interpreter.
            .object(["if": .object(["required": .array([.string("lang")]),
                                    "properties": .object(["lang": .object(["not": .object(["enum": known])])])]),
                     "then": .object(["required": .array([.string("interpreter")])])]),
        ])
        let markdownCell = object(fields: NotebookFormat.markdownFields, required: ["markdown"])
        root["$defs"] = .object(["codeCell": .object(codeCell), "markdownCell": .object(markdownCell)])
        return .object(root)
    }

    private static func object(fields: [NotebookFormat.Field], required: [String]) -> [String: JSONValue] {
        var properties: [String: JSONValue] = [:]
        for field in fields {
            var schema = schema(for: field.type)
            schema["description"] = .string(field.summary)
            properties[field.name] = .object(schema)
        }
        return ["type": .string("object"), "additionalProperties": .bool(false),
                "required": .array(required.map(JSONValue.string)), "properties": .object(properties)]
    }

    private static func schema(for type: FieldType) -> [String: JSONValue] {
        switch type {
        case .string(let pattern):
            var s: [String: JSONValue] = ["type": .string("string")]
            if let pattern { s["pattern"] = .string(pattern.regex) }
            return s
        case .integer(let minimum, let maximum):
            if let minimum, minimum == maximum { return ["type": .string("integer"), "const": .int(minimum)] }
            var s: [String: JSONValue] = ["type": .string("integer")]
            if let minimum { s["minimum"] = .int(minimum) }
            if let maximum { s["maximum"] = .int(maximum) }
            return s
        case .number(let minimum):
            var s: [String: JSONValue] = ["type": .string("number")]
            if let minimum { s["exclusiveMinimum"] = minimum == minimum.rounded() ? .int(Int(minimum)) : .double(minimum) }
            return s
        case .boolean:
            return ["type": .string("boolean")]
        case .choice(let options):
            return ["enum": .array(options.map(JSONValue.string))]
        case .list(let element, let minItems):
            var s: [String: JSONValue] = ["type": .string("array"), "items": .object(schema(for: element))]
            if minItems > 0 { s["minItems"] = .int(minItems) }
            return s
        case .map(let key, let value):
            return ["type": .string("object"), "propertyNames": .object(["pattern": .string(key.regex)]),
                    "additionalProperties": .object(schema(for: value))]
        case .scalar:
            return ["type": .array([.string("string"), .string("number"), .string("boolean")])]
        case .json:
            return [:]
        case .python:
            return object(fields: NotebookFormat.pythonFields, required: ["requirements"])
        case .parity:
            return object(fields: NotebookFormat.parityFields, required: ["rows"])
        case .tolerance:
            return ["oneOf": .array([.object(["type": .string("number"), "minimum": .int(0)]),
                                     .object(["type": .string("object"), "propertyNames": .object(["pattern": .string(ValuePattern.jsonPointer.regex)]),
                                              "additionalProperties": .object(["type": .string("number"), "minimum": .int(0)])])])]
        case .requirements:
            return ["oneOf": .array([.object(schema(for: .list(.string(.requirement), minItems: 0))),
                                     .object(schema(for: .string(.relativePath)))])]
        case .cells:
            return ["type": .string("array"),
                    "items": .object(["anyOf": .array([.object(["$ref": .string("#/$defs/markdownCell")]),
                                                       .object(["$ref": .string("#/$defs/codeCell")])])])]
        }
    }
}
