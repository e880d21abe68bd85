import CYaml

/// Composes a YAML document into `YAMLNode`s straight from libyaml's event
/// stream, refusing hostile input before it costs time or memory: nesting
/// deeper than `maxDepth`, a scalar longer than `maxScalarBytes`, or more than
/// `maxNodes` nodes, each alias counted as the nodes it stands for (a "billion
/// laughs" document is rejected by arithmetic, never expanded). libyaml reads
/// the text in place; the positions it gives are an editor's (`BreakStandIns`).
/// A scalar over the limit has been read whole by libyaml when it is refused:
/// the size of a notebook file (`SourceText.maxBytes`) bounds that cost.
public struct YAMLReader: Sendable {
    public var maxDepth = 128
    public var maxScalarBytes = 1 << 20
    /// Scalars, lists and mappings, an alias counting as the nodes it stands for.
    /// Everything after reading (checks, cells, diagnostics, JSON values) costs
    /// up to a few hundred bytes per node, aliases expanded: this bounds it.
    public var maxNodes = 200_000

    public init() {}

    /// Why a document could not be composed.
    public struct Failure: Error, Sendable {
        public enum Reason: Sendable, Equatable {
            case syntax(problem: String, context: String?)
            case tooDeep(limit: Int)
            case scalarTooLong(bytes: Int, limit: Int)
            case aliasBomb(limit: Int)
            case tooManyNodes(limit: Int)
            case undefinedAlias(String)
            case multipleDocuments
            /// NEL, U+2028 or U+2029 with no private-use character left to stand in for it (see `BreakStandIns`).
            case noStandIn(Unicode.Scalar)
        }
        public let reason: Reason
        public let location: SourceLocation
    }

    /// Returns the document's root node, nil for an empty stream.
    public func read(_ text: String) throws(Failure) -> YAMLNode? {
        var text = text
        let result = text.withUTF8 { utf8 -> Result<YAMLNode?, Failure> in
            Result { () throws(Failure) in
                guard let standIns = try BreakStandIns(utf8) else { return try compose(utf8, standIns: nil) }
                let substituted = standIns.substitute(utf8)
                return try substituted.withUnsafeBufferPointer { buffer in
                    Result { () throws(Failure) in try compose(buffer, standIns: standIns) }
                }.get()
            }
        }
        return try result.get()
    }

    /// Runs libyaml over the document's bytes, read in place.
    private func compose(_ utf8: UnsafeBufferPointer<UInt8>, standIns: BreakStandIns?) throws(Failure) -> YAMLNode? {
        guard let start = utf8.baseAddress, !utf8.isEmpty else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw Failure(reason: .syntax(problem: "cannot initialise the YAML parser", context: nil),
                          location: SourceLocation(line: 1, column: 1))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        // libyaml's own nesting limit is a process-wide setting; every reader sets the same value.
        yaml_set_max_nest_level(Int32(maxDepth))
        yaml_parser_set_input_string(&parser, start, utf8.count)
        var composer = Composer(limits: self, input: utf8, standIns: standIns)
        return try composer.run(&parser)
    }
}

/// One open collection while composing.
private struct Frame {
    var isMapping: Bool
    var start: SourceLocation
    var tag: String?
    var anchor: String?
    var items: [YAMLNode] = []
    /// Expanded size of the subtree so far (aliases counted at their target's size).
    var size = 1
}

private struct Composer {
    let limits: YAMLReader
    /// The bytes libyaml reads, to locate its reader's errors (given as offsets).
    let input: UnsafeBufferPointer<UInt8>
    let standIns: BreakStandIns?
    var stack: [Frame] = []
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    /// Nodes so far, aliases expanded.
    var nodes = 0
    var root: YAMLNode?
    var documents = 0

    /// Where the input ends, when it does not end with a line break. libyaml then ends the
    /// stream on a line of its own, past the last line; to an editor, the end is on that line.
    let unterminatedEnd: SourceLocation?

    init(limits: YAMLReader, input: UnsafeBufferPointer<UInt8>, standIns: BreakStandIns?) {
        self.limits = limits
        self.input = input
        self.standIns = standIns
        let last = input.last ?? 0x0A
        unterminatedEnd = last == 0x0A || last == 0x0D ? nil : SourceLocation(utf8: input, offset: input.count)
    }

    mutating func run(_ parser: inout yaml_parser_t) throws(YAMLReader.Failure) -> YAMLNode? {
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxFailure(parser) }
            defer { yaml_event_delete(&event) }
            let start = location(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw .init(reason: .multipleDocuments, location: start) }
            case YAML_SCALAR_EVENT:
                try count(at: start)
                let s = event.data.scalar
                if s.length > limits.maxScalarBytes {
                    throw .init(reason: .scalarTooLong(bytes: s.length, limit: limits.maxScalarBytes), location: start)
                }
                let bytes = UnsafeBufferPointer(start: s.value, count: s.length)
                let text = standIns?.text(bytes) ?? String(decoding: bytes, as: UTF8.self)
                let tag = string(s.tag)
                let scalar = YAMLScalar(text: text, isPlain: s.style == YAML_PLAIN_SCALAR_STYLE, tag: tag)
                let node = YAMLNode(kind: .scalar(scalar), range: SourceRange(start: start, end: location(event.end_mark)), tag: tag)
                try add(node, size: 1, anchor: string(s.anchor))
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else { throw .init(reason: .undefinedAlias(name), location: start) }
                nodes += target.size
                if nodes > limits.maxNodes { throw .init(reason: .aliasBomb(limit: limits.maxNodes), location: start) }
                try add(target.node, size: target.size, anchor: nil)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                try count(at: start)
                if stack.count >= limits.maxDepth { throw .init(reason: .tooDeep(limit: limits.maxDepth), location: start) }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let tag = isMapping
                    ? (event.data.mapping_start.implicit == 1 ? nil : string(event.data.mapping_start.tag))
                    : (event.data.sequence_start.implicit == 1 ? nil : string(event.data.sequence_start.tag))
                let anchor = isMapping ? string(event.data.mapping_start.anchor) : string(event.data.sequence_start.anchor)
                stack.append(Frame(isMapping: isMapping, start: start, tag: tag, anchor: anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                let range = SourceRange(start: frame.start, end: location(event.end_mark))
                let kind: YAMLNode.Kind
                if frame.isMapping {
                    var pairs: [YAMLPair] = []
                    pairs.reserveCapacity(frame.items.count / 2)
                    var i = 0
                    while i + 1 < frame.items.count {
                        pairs.append(YAMLPair(key: frame.items[i], value: frame.items[i + 1]))
                        i += 2
                    }
                    kind = .mapping(pairs)
                } else {
                    kind = .sequence(frame.items)
                }
                try add(YAMLNode(kind: kind, range: range, tag: frame.tag), size: frame.size, anchor: frame.anchor)
            default:
                break
            }
        }
    }

    private mutating func count(at start: SourceLocation) throws(YAMLReader.Failure) {
        nodes += 1
        if nodes > limits.maxNodes { throw .init(reason: .tooManyNodes(limit: limits.maxNodes), location: start) }
    }

    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?) throws(YAMLReader.Failure) {
        if let anchor { anchors[anchor] = (node, size) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].items.append(node)
            stack[stack.count - 1].size += size
        }
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        let location = SourceLocation(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        if let end = unterminatedEnd, location > end { return end }
        return location
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private func syntaxFailure(_ parser: yaml_parser_t) -> YAMLReader.Failure {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        if problem.hasPrefix("Maximum nesting level") {
            return .init(reason: .tooDeep(limit: limits.maxDepth), location: location(parser.problem_mark))
        }
        if parser.error == YAML_READER_ERROR {
            // The reader (control characters) gives a byte offset, not a mark.
            let found = Unicode.Scalar(UInt32(clamping: parser.problem_value)).map { " (found \($0.codePoint))" } ?? ""
            return .init(reason: .syntax(problem: problem + found, context: nil),
                         location: SourceLocation(utf8: input, offset: parser.problem_offset))
        }
        let context = parser.context.map { String(cString: $0) }
        return .init(reason: .syntax(problem: problem, context: context), location: location(parser.problem_mark))
    }
}
