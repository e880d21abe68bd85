import SplitbookSpec
import Testing

@Suite("Python imports a cell's code makes")
struct PythonImportsTests {
    @Test func importsAreFoundWithTheirPositions() {
        let code = """
        import os, numpy as np
        from sklearn.linear_model import LogisticRegression
        try:
            import orjson
        except ImportError:
            pass
        from . import sibling
        x = "import notamodule"  # import not_this_either
        \"\"\"
        import inside_a_docstring
        \"\"\"
        def f():
            from pandas import DataFrame
        """
        let found = PythonImports.scan(code)
        #expect(found.map(\.module) == ["os", "numpy", "sklearn", "orjson", "pandas"])
        #expect(found[1] == .init(module: "numpy", line: 1, column: 12))
        #expect(found[2] == .init(module: "sklearn", line: 2, column: 6))
        #expect(found[3] == .init(module: "orjson", line: 4, column: 12))
    }

    @Test func aStringThatOpensAndClosesOnOneLineDoesNotHideWhatFollows() {
        let found = PythonImports.scan("doc = '''one line'''\nimport requests\n")
        #expect(found.map(\.module) == ["requests"])
    }

    @Test func theStandardLibraryIsKnown() {
        for module in ["os", "json", "sqlite3", "tomllib", "concurrent"] { #expect(StandardLibrary.contains(module)) }
        for module in ["numpy", "sklearn", "requests"] { #expect(!StandardLibrary.contains(module)) }
    }
}
