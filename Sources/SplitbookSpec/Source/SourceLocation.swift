/// A 1-based line and column in a source file, as an editor counts them: a
/// line ends at `\n`, `\r\n` or `\r` (not at NEL, U+2028 or U+2029), and
/// columns count Unicode scalars, as libyaml does.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The location of the byte at `offset` in UTF-8 text. The bytes before it
    /// must be valid UTF-8; the byte itself may be anything (a bad byte's place).
    public init(utf8 bytes: UnsafeBufferPointer<UInt8>, offset: Int) {
        var line = 1, column = 1, afterCR = false
        for i in 0..<min(offset, bytes.count) {
            let byte = bytes[i]
            switch byte {
            case 0x0A:
                if !afterCR { line += 1 }
                column = 1
            case 0x0D:
                line += 1
                column = 1
            case 0x80...0xBF:
                break  // a continuation byte: the scalar was counted at its first byte
            default:
                column += 1
            }
            afterCR = byte == 0x0D
        }
        self.init(line: line, column: column)
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// The span of a YAML node: where it starts and where it ends (exclusive).
public struct SourceRange: Hashable, Sendable {
    public var start: SourceLocation
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    /// A zero-width range at one point.
    public init(_ point: SourceLocation) {
        self.init(start: point, end: point)
    }
}

/// A value together with the place in the notebook it came from, so that a
/// diagnostic about the value can point at the exact word.
public struct Located<Value>: CustomStringConvertible {
    public var value: Value
    public var range: SourceRange

    public init(_ value: Value, at range: SourceRange) {
        self.value = value
        self.range = range
    }

    public var description: String { "\(value)" }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}
