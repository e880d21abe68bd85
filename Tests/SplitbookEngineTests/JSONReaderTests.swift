import Foundation
import SplitbookEngine
import SplitbookSpec
import Testing

/// `JSONValue.parseJSON` (our reader) against `JSONDecoder().decode(JSONValue.self)`,
/// which it replaced on the request path: the same value for every valid document.
@Suite("JSON reader")
struct JSONReaderTests {
    func decoded(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func randomDocumentsReadAsJSONDecoderReadsThem() {
        var generator = DocumentGenerator(seed: 15)
        for _ in 0..<20_000 {
            let text = generator.document()
            let ours = JSONValue.parseJSON(Data(text.utf8))
            #expect(ours != nil, "\(text)")
            #expect(ours == decoded(text), "\(text)")
        }
    }

    @Test(arguments: ["0", "-0", "1", "-1", "1.0", "-0.0", "2.5", "1e2", "1E2", "1e-2", "0.1e1", "1.5e300", "-1e-400", "2.5e-5",
                      "9223372036854775807", "-9223372036854775808", "9223372036854775808", "12345678901234567890123",
                      "123456789012345678", "0.30000000000000004", "1e18", "1e19", "49999999999999999e0", "4.0e17",
                      "9007199254740993.0", "100e-2", "12e-1", "-8444444444444453e3", "5e-324", "1e308",
                      "9777777777777777.409", "544444444444444444.123", "49999999999999999.920", "-9223372036854775808.0",
                      "9223372036854775295.0", "9223372036854775296.0", "6.965e17", "1.000000000000000000000000000000000000000001e17"])
    func numbers(_ text: String) {
        #expect(JSONValue.parseJSON(Data(text.utf8)) == decoded(text), "\(text)")
        #expect(JSONValue.parseJSON(Data("[\(text)]".utf8)) == decoded("[\(text)]"), "\(text)")
    }

    @Test(arguments: [#""""#, #""plain""#, #""\"\\\/\b\f\n\r\t""#, #""\u00e9\u4e2d""#, #""\ud83d\ude00""#, #""é中😀""#,
                      #""a\u0000b""#])
    func strings(_ text: String) {
        #expect(JSONValue.parseJSON(Data(text.utf8)) != nil, "\(text)")
        #expect(JSONValue.parseJSON(Data(text.utf8)) == decoded(text), "\(text)")
    }

    @Test func duplicateKeysAndWhitespace() {
        for text in [#"{"a": 1, "a": 2}"#, " \t\r\n{ \"a\" :\n[ 1 , { } , [ ] ] } \n", "true", " null ", "false"] {
            #expect(JSONValue.parseJSON(Data(text.utf8)) != nil, "\(text)")
            #expect(JSONValue.parseJSON(Data(text.utf8)) == decoded(text), "\(text)")
        }
    }

    @Test(arguments: ["", " ", "nul", "tru", "[1 2]", #"{"a" 1}"#, #"{"a":}"#, "{1: 2}", "[1", "{", #""abc"#, #""\x""#, #""\u12""#,
                      #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "1e400", "[1] x", "{} {}", "'a'", "[,1]"])
    func notJSON(_ text: String) {
        #expect(JSONValue.parseJSON(Data(text.utf8)) == nil, "\(text)")
        #expect(decoded(text) == nil, "JSONDecoder refuses it too: \(text)")
    }

    @Test func trailingCommasAreRefused() {
        for text in ["[1,]", #"{"a": 1,}"#] { #expect(JSONValue.parseJSON(Data(text.utf8)) == nil, "\(text)") }
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let shallow = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(JSONValue.parseJSON(Data(shallow.utf8)) == decoded(shallow))
        #expect(JSONValue.parseJSON(Data(shallow.utf8)) != nil)
        #expect(JSONValue.parseJSON(Data(String(repeating: "[", count: 100_000).utf8)) == nil)
        #expect(JSONValue.parseJSON(Data((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)) == nil)
    }
}

/// Random JSON text: nested values with random whitespace, escapes, unicode and numbers of every form.
struct DocumentGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func document() -> String { space() + value(depth: 0) + space() }

    private mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }

    private mutating func space() -> String { ["", "", " ", "\n", "\t ", "\r\n  "][next(6)] }

    private mutating func value(depth: Int) -> String {
        switch next(depth > 4 ? 5 : 7) {
        case 0: return ["true", "false", "null"][next(3)]
        case 1, 2: return number()
        case 3, 4: return string()
        case 5: return "[" + (0..<next(5)).map { _ in space() + value(depth: depth + 1) + space() }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<next(5)).map { _ in space() + string() + space() + ":" + space() + value(depth: depth + 1) }.joined(separator: ",") + "}"
        }
    }

    private mutating func number() -> String {
        let sign = next(3) == 0 ? "-" : ""
        let whole = next(4) == 0 ? "0" : String(next(9) + 1) + String(repeating: String(next(10)), count: next(20))
        let fraction = next(3) == 0 ? "." + String(next(1000)) : ""
        let exponent = next(4) == 0 ? ["e", "E"][next(2)] + ["", "+", "-"][next(3)] + String(next(40)) : ""
        return sign + whole + fraction + exponent
    }

    private mutating func string() -> String {
        let pieces = ["a", "key", " ", "é", "中", "😀", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00", "\\u0041", "0", "_"]
        return "\"" + (0..<next(6)).map { _ in pieces[next(pieces.count)] }.joined() + "\""
    }
}
