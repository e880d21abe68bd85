import Foundation
import SplitbookTestSupport
import Testing

@Suite("JSON Schema of the notebook format")
struct SchemaTests {
    /// Validates files with Python's jsonschema (Draft 2020-12) after loading them with PyYAML.
    static let validator = """
        import json, sys, yaml
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        for path in sys.argv[2:]:
            try:
                doc = yaml.safe_load(open(path))
            except yaml.YAMLError:
                print(path, "reject"); continue
            errors = list(validator.iter_errors(doc))
            print(path, "reject" if errors else "accept")
        """

    @Test func schemaAcceptsValidFixturesAndRejectsInvalidOnes() throws {
        let python = try PythonEnvironment.python()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let schema = try Binary.run(["schema"])
        #expect(schema.status == 0)
        try dir.write("schema.json", schema.stdout)
        try dir.write("validate.py", Self.validator)
        // Fixtures with markers removed, as the loader sees them.
        var expected: [String: String] = [:]
        for fixture in Fixture.all("valid") + Fixture.all("invalid") {
            let path = try dir.write(fixture.name, fixture.text).path
            if fixture.name.hasPrefix("valid/") {
                expected[path] = "accept"
            } else {
                let rejects = try #require(fixture.schemaRejects as Bool?, "\(fixture.name) has no '#! schema' line")
                expected[path] = rejects ? "reject" : "accept"
            }
        }
        let result = try Process.capture(python, [dir.url.appendingPathComponent("validate.py").path,
                                                  dir.url.appendingPathComponent("schema.json").path] + expected.keys.sorted())
        #expect(result.status == 0, "\(result.stderr)")
        var seen = 0
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let path = String(parts[0])
            #expect(expected[path] == String(parts[1]), "\(path): schema says \(parts[1])")
            seen += 1
        }
        #expect(seen == expected.count)
        #expect(seen > 20)
    }

    @Test func committedSchemaMatchesTheGeneratedOne() throws {
        let committed = try String(contentsOf: Binary.packageRoot.appendingPathComponent("schema/notebook.schema.json"), encoding: .utf8)
        let generated = try Binary.run(["schema"]).stdout
        #expect(committed == generated, "regenerate with: swift run splitbook schema > schema/notebook.schema.json")
    }
}
