import SplitbookSpec

/// Everything that decides a code cell's result, and nothing else (CONTRACT §3).
///
/// This file is the single place that defines a step key. Each field is one
/// component; the key is the SHA-256 of the canonical JSON of all of them
/// (sorted keys, no whitespace), prefixed by `formatVersion`. Changing what
/// enters a key, or how, must bump `formatVersion` so that old cache entries
/// stop matching instead of matching wrongly.
///
/// Not in the key, on purpose: absolute paths, timestamps, run ids, secrets,
/// markdown cells, the cell's position in the notebook, params it does not see.
public struct StepKey: Hashable, Sendable, Codable {
    /// Bump when the meaning or encoding of any component changes.
    public static let formatVersion = 2

    public var format: Int = StepKey.formatVersion
    /// The cell's language name (`python`, `sh`, ...).
    public var lang: String
    /// The interpreter command and what it resolves to (path and content digest or version).
    public var interpreter: [String]
    /// Digest of the code text (inline) or of the source file's bytes (`file:`).
    public var code: Digest
    /// The declared output paths, sorted.
    public var outputs: [String]
    /// Visible params: name -> canonical JSON of the value.
    public var params: [String: String]
    /// Notebook env overlaid with cell env.
    public var env: [String: String]
    /// Declared inputs: path -> content digest (file or tree), whoever produced them.
    public var inputs: [String: Digest]
    /// Cells in `needs`: id -> digest of their outputs (early cutoff: content, not run ids).
    public var needs: [String: Digest]
    /// Registry artifacts in `uses`: reference -> content digest of the resolved version.
    public var uses: [String: Digest]
    /// Python cells: the digest of the packages the cell can import (CONTRACT §10): its
    /// locked environment's, or a fingerprint of the interpreter's installed distributions.
    public var packages: Digest?

    public init(lang: String, interpreter: [String], code: Digest, outputs: [String], params: [String: String],
                env: [String: String], inputs: [String: Digest], needs: [String: Digest], uses: [String: Digest],
                packages: Digest? = nil) {
        self.lang = lang
        self.interpreter = interpreter
        self.code = code
        self.outputs = outputs.sorted()
        self.params = params
        self.env = env
        self.inputs = inputs
        self.needs = needs
        self.uses = uses
        self.packages = packages
    }

    /// The components as one JSON object with sorted keys (the thing that is hashed).
    public var canonicalJSON: String {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.string("code", code.hex)
        w.stringMap("env", env)
        w.key("format"); w.int(format)
        w.stringMap("inputs", inputs.mapValues(\.hex))
        w.key("interpreter"); w.beginArray(); for part in interpreter { w.string(part) }; w.endArray()
        w.string("lang", lang)
        w.stringMap("needs", needs.mapValues(\.hex))
        w.key("outputs"); w.beginArray(); for output in outputs { w.string(output) }; w.endArray()
        if let packages { w.string("packages", packages.hex) }
        w.stringMap("params", params)
        w.stringMap("uses", uses.mapValues(\.hex))
        w.endObject()
        return w.text
    }

    public var json: JSONValue {
        func digests(_ map: [String: Digest]) -> JSONValue { .object(map.mapValues { .string($0.hex) }) }
        var fields: [String: JSONValue] = [
            "format": .int(format),
            "lang": .string(lang),
            "interpreter": .array(interpreter.map(JSONValue.string)),
            "code": .string(code.hex),
            "outputs": .array(outputs.map(JSONValue.string)),
            "params": .object(params.mapValues(JSONValue.string)),
            "env": .object(env.mapValues(JSONValue.string)),
            "inputs": digests(inputs),
            "needs": digests(needs),
            "uses": digests(uses),
        ]
        if let packages { fields["packages"] = .string(packages.hex) }
        return .object(fields)
    }

    /// The key itself.
    public var digest: Digest { Digest.of("splitbook-step-\(format)\n" + canonicalJSON) }

    /// The key of an online endpoint's sample results: the keys of its
    /// chain's cells (head first), its samples, and how often each is sent.
    public static func endpoint(chain: [StepKey], samples: [JSONValue], repetitions: Int,
                                parity: (rows: Digest, spec: ParitySpec)? = nil) -> Digest {
        Digest.of("splitbook-endpoint 1\n" + chain.map(\.digest.hex).joined(separator: "\n") + "\n"
                  + JSONValue.array(samples).canonicalJSON + "\nrepetitions \(repetitions)"
                  + (parity.map { "\nparity \($0.rows.hex) tolerance \($0.spec.tolerance.canonical) relative \($0.spec.relative.canonical)" } ?? ""))
    }

    /// Field-by-field differences from an earlier key, in words a user reads
    /// ("code changed", "param top_k 3 -> 5", "input data/docs.jsonl changed",
    /// "package scikit-learn 1.6.1 -> 1.7.2" when `packageLists` knows both sets).
    public func differences(from old: StepKey, upstreamOf: (String) -> String? = { _ in nil },
                            packageLists: (Digest) -> [String: String]? = { _ in nil }) -> [String] {
        var out: [String] = []
        if format != old.format { out.append("step key format \(old.format) -> \(format)") }
        if lang != old.lang { out.append("lang \(old.lang) -> \(lang)") }
        if interpreter != old.interpreter { out.append("interpreter changed (\(interpreter.joined(separator: " ")))") }
        if packages != old.packages {
            if let new = packages, let previous = old.packages, let a = packageLists(previous), let b = packageLists(new) {
                let changes = Self.mapDifferences(a, b) { name, change in
                    switch change {
                    case .added(let v): "package \(name) \(v) added"
                    case .removed(let v): "package \(name) \(v) removed"
                    case .changed(let x, let y): "package \(name) \(x) -> \(y)"
                    }
                }
                if changes.isEmpty {
                    out.append("installed packages changed")
                } else {
                    out += changes.prefix(5)
                    if changes.count > 5 { out.append("and \(changes.count - 5) more package changes") }
                }
            } else {
                out.append("installed packages changed")
            }
        }
        if code != old.code { out.append("code changed") }
        if outputs != old.outputs { out.append("declared outputs changed") }
        out += Self.mapDifferences(old.params, params) { name, change in
            switch change {
            case .added(let v): "param \(name) added (\(v))"
            case .removed(let v): "param \(name) removed (was \(v))"
            case .changed(let a, let b): "param \(name) \(a) -> \(b)"
            }
        }
        out += Self.mapDifferences(old.env, env) { name, change in
            switch change {
            case .added: "env \(name) added"
            case .removed: "env \(name) removed"
            case .changed: "env \(name) changed"
            }
        }
        out += Self.mapDifferences(old.inputs, inputs) { path, change in
            let what = upstreamOf(path).map { "upstream \($0) changed its output \(path)" } ?? "input \(path) changed"
            switch change {
            case .added: return "input \(path) added"
            case .removed: return "input \(path) removed"
            case .changed: return what
            }
        }
        out += Self.mapDifferences(old.needs, needs) { id, change in
            switch change {
            case .added: "needs \(id) added"
            case .removed: "needs \(id) removed"
            case .changed: "upstream \(id) changed"
            }
        }
        out += Self.mapDifferences(old.uses, uses) { name, change in
            switch change {
            case .added: "uses \(name) added"
            case .removed: "uses \(name) removed"
            case .changed(let a, let b): "artifact \(name) changed (\(a.short) -> \(b.short))"
            }
        }
        return out
    }

    enum Change<V> {
        case added(V), removed(V), changed(V, V)
    }

    static func mapDifferences<V: Equatable>(_ old: [String: V], _ new: [String: V], _ describe: (String, Change<V>) -> String) -> [String] {
        var out: [String] = []
        for name in Set(old.keys).union(new.keys).sorted() {
            switch (old[name], new[name]) {
            case (nil, let v?): out.append(describe(name, .added(v)))
            case (let v?, nil): out.append(describe(name, .removed(v)))
            case (let a?, let b?) where a != b: out.append(describe(name, .changed(a, b)))
            default: break
            }
        }
        return out
    }
}
