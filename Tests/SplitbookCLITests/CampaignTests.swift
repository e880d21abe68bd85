import Foundation
import SplitbookTestSupport
import Testing

/// A small fixed-seed slice of the robustness campaign in `bench/` (DEVELOPERS.md,
/// "Robustness campaign"): each script drives the built binary through random
/// `kill -9`s, concurrent commands or a damaged cache, checks every output
/// against bytes it computes itself, and prints one summary line whose counts
/// must all be zero. `--seconds` bounds each script whatever the machine's load.
@Suite("Robustness campaign: a fixed-seed slice of bench/*_trials.py (the real binary)")
struct CampaignTests {
    /// What a campaign script printed: its summary line and the counts in it ("trials", "wrong outputs", ...).
    struct Summary {
        let line: String
        let counts: [String: Int]
        let result: Binary.Result
    }

    static func campaign(_ script: String, _ arguments: [String]) throws -> Summary {
        let path = Binary.packageRoot.appendingPathComponent("bench/\(script)").path
        let result = try Process.capture(URL(fileURLWithPath: "/usr/bin/env"),
                                         ["python3", path, "--binary", Binary.url.path, "--seed", "1"] + arguments,
                                         in: Binary.packageRoot)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let line = lines.count == 1 ? lines[0] : ""
        return Summary(line: line, counts: counts(in: line), result: result)
    }

    /// "name: 10 trials (4 a, 6 b), 0 wrong outputs, 2 orphans" -> ["trials": 10, "wrong outputs": 0, "orphans": 2].
    static func counts(in line: String) -> [String: Int] {
        guard let colon = line.firstIndex(of: ":") else { return [:] }
        var text = "", depth = 0
        for c in line[line.index(after: colon)...] {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 } else if depth == 0 { text.append(c) }
        }
        var out: [String: Int] = [:]
        for part in text.split(separator: ",") {
            let words = part.split(separator: " ")
            if let first = words.first, let n = Int(first) { out[words.dropFirst().joined(separator: " ")] = n }
        }
        return out
    }

    func expectClean(_ summary: Summary, _ labels: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let context = Comment(rawValue: "\(summary.line)\n\(summary.result.stderr)")
        #expect(summary.result.status == 0, context, sourceLocation: sourceLocation)
        #expect((summary.counts["trials"] ?? 0) >= 1, context, sourceLocation: sourceLocation)
        for label in labels {
            #expect(summary.counts[label] == 0, "\(label): \(context)", sourceLocation: sourceLocation)
        }
    }

    @Test func summaryLinesParse() {
        #expect(Self.counts(in: "kill_trials: 10 trials, 0 wrong outputs, 1 failed reruns, 2 orphans, 0 leftovers")
            == ["trials": 10, "wrong outputs": 0, "failed reruns": 1, "orphans": 2, "leftovers": 0])
        #expect(Self.counts(in: "tamper_trials: 22 trials (2 per kind), 3 wrong bytes restored, 0 crashes")
            == ["trials": 22, "wrong bytes restored": 3, "crashes": 0])
    }

    /// kill -9 at random moments of a run: the rerun completes with the right
    /// bytes, no cell of the killed run survives it, no temporary file stays.
    @Test func killNineAtRandomMoments() throws {
        let summary = try Self.campaign("kill_trials.py", ["--count", "10", "--seconds", "20"])
        expectClean(summary, ["wrong outputs", "failed reruns", "orphans", "leftovers"])
    }

    /// Two or three runs with different params (or a run and `cache gc`) at once.
    @Test func concurrentRunsAndGC() throws {
        let summary = try Self.campaign("concurrent_trials.py", ["--count", "5", "--seconds", "15"])
        expectClean(summary, ["failed runs", "wrong outputs", "uncached reruns", "leftovers"])
    }

    /// One damaged object, entry, state, history record, memo, stamp or
    /// workspace copy: the rerun restores no wrong byte and does not crash.
    @Test func damagedCacheRestoresNoWrongByte() throws {
        let summary = try Self.campaign("tamper_trials.py", ["--count", "22", "--seconds", "30"])
        expectClean(summary, ["wrong bytes restored", "crashes"])
    }
}
