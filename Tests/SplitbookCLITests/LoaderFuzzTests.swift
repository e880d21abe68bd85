import Foundation
import SplitbookTestSupport
import Testing

/// A fixed-seed slice of `bench/fuzz_loader.py`: mutated notebooks through
/// `splitbook check`, none of which may crash it, hang it, or get an error
/// without a location or at the wrong place.
@Suite("Loader fuzzing: a fixed-seed slice of bench/fuzz_loader.py (the real binary)")
struct LoaderFuzzTests {
    @Test func threeHundredMutatedNotebooksFailNothing() throws {
        let script = Binary.packageRoot.appendingPathComponent("bench/fuzz_loader.py").path
        let result = try Process.capture(URL(fileURLWithPath: "/usr/bin/env"),
                                         ["python3", script, "--binary", Binary.url.path, "--seed", "1", "--count", "300"],
                                         in: Binary.packageRoot)
        let lines = result.stdout.split(separator: "\n")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("fuzz_loader: 300 notebooks, 0 crashes, 0 hangs, 0 errors without a location, 0 misplaced, peak RSS ")
                == true, "\(result.stdout)")
    }
}
