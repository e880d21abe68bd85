import Foundation
import SplitbookEngine
import SplitbookSpec
import SplitbookTestSupport
import Testing

/// An endpoint's `request_schema` (issue 15, point 3): 422 with the JSON
/// pointer of the first failure, documented in openapi.json, samples checked.
@Suite("Request schemas (the real binary, HTTP on 127.0.0.1)", .serialized)
struct RequestSchemaTests {
    static let notebook = """
    cells:
      - id: score
        stage: online
        lang: python
        sample: {"age": 30, "plan": "basic", "tags": ["a"]}
        request_schema:
          type: object
          required: [age, plan]
          additionalProperties: false
          properties:
            age: {type: integer, minimum: 0, maximum: 130}
            plan: {enum: [basic, premium]}
            tags: {type: array, items: {type: string, maxLength: 8}}
        code: |
          def handle(request):
              return {"ok": True, "age": request["age"]}
    """

    @Test func requestsThatBreakTheSchemaGet422WithThePointer() throws {
        let p = try Project(Self.notebook)
        defer { p.remove() }
        #expect(try p.run().result.status == 0)
        let port = HTTP.freePort()
        let base = "http://127.0.0.1:\(port)"
        let server = try launch(p, ["serve", p.notebook, "--port", "\(port)", "--workers", "1"])
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        #expect(HTTP.wait(for: base + "/readyz"))
        #expect(HTTP.request("POST", base + "/v1/score", body: #"{"age": 41, "plan": "premium"}"#)?.status == 200)
        let cases: [(String, String, String)] = [
            (#"{"plan": "basic"}"#, "", "lacks the required field 'age'"),
            (#"{"age": -1, "plan": "basic"}"#, "/age", "must be at least 0"),
            (#"{"age": 3.5, "plan": "basic"}"#, "/age", "must be integer, not a number"),
            (#"{"age": 3, "plan": "gold"}"#, "/plan", #"must be one of \"basic\", \"premium\""#),
            (#"{"age": 3, "plan": "basic", "tags": ["ok", "far too long"]}"#, "/tags/1", "must have at most 8 characters"),
            (#"{"age": 3, "plan": "basic", "extra": 1}"#, "/extra", "is not an allowed field"),
            (#"[1, 2]"#, "", "must be object, not an array"),
        ]
        for (body, pointer, message) in cases {
            let answer = HTTP.request("POST", base + "/v1/score", body: body)
            #expect(answer?.status == 422, "\(body)")
            guard let text = answer?.body, case .object(let doc)? = JSONValue.parseJSON(Data(text.utf8)),
                  case .object(let error)? = doc["error"] else { Issue.record("not a JSON error: \(answer?.body ?? "")"); continue }
            #expect(error["code"] == .string("invalid_request"))
            #expect(error["pointer"] == .string(pointer), "\(body): \(text)")
            #expect(text.contains(message), "\(body): \(text)")
        }
        // The serving bundle keeps the schema: its notebook loads it back.
        #expect(try p.splitbook(["export", "online", p.notebook, "-o", "svc", "--binary", try NativeExecutables.staticELF().path]).status == 0)
        #expect(p.read("svc/notebook.yaml")?.contains(#"request_schema: {"additionalProperties":false"#) == true, "\(p.read("svc/notebook.yaml") ?? "")")
        #expect(try p.splitbook(["check", "svc/notebook.yaml"]).status == 0)
        let api = HTTP.request("GET", base + "/openapi.json")?.body ?? ""
        #expect(api.contains(#""required":["age","plan"]"#) || api.contains(#""required": ["#), "\(api.prefix(400))")
        #expect(api.contains("422"))
    }

    @Test func checkValidatesTheSamplesAndTheSchema() throws {
        let bad = try Project(Self.notebook.replacingOccurrences(of: #""plan": "basic""#, with: #""plan": "gold""#))
        defer { bad.remove() }
        let check = try bad.splitbook(["check", bad.notebook])
        #expect(check.status == 2)
        #expect(check.stderr.contains("notebooks/nb.yaml:5:13: error: sample 1 of cell 'score' breaks its request_schema: /plan: must be one of"),
                "\(check.stderr)")

        let unsupported = try Project(Self.notebook.replacingOccurrences(of: "additionalProperties: false", with: "unevaluatedProperties: false"))
        defer { unsupported.remove() }
        let result = try unsupported.splitbook(["check", unsupported.notebook])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unsupported keyword 'unevaluatedProperties'"), "\(result.stderr)")
    }
}
