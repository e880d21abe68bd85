import Foundation

/// The distributions installed in a virtual environment, read from its
/// `site-packages` the way `importlib.metadata` finds them (one
/// `NAME-VERSION.dist-info` directory each, its `METADATA` naming it), without
/// starting Python: reading an environment takes milliseconds, not the
/// tenth of a second an interpreter needs to start and import the machinery.
enum SitePackages {
    /// Every distribution in the environment at `directory`, sorted by name, with its top-level modules.
    static func packages(inEnvironment directory: String) -> [InstalledPackage] {
        var found: [String: InstalledPackage] = [:]
        for sitePackages in directories(directory) {
            for entry in FileTree.names(in: sitePackages) ?? [] where entry.hasSuffix(".dist-info") {
                let info = sitePackages + "/" + entry
                guard let metadata = FileBytes.read(info + "/METADATA").map({ String(decoding: $0, as: UTF8.self) }),
                      let name = header("Name", in: metadata), let version = header("Version", in: metadata) else { continue }
                let normalized = InstalledPackage.normalize(name)
                guard found[normalized] == nil else { continue }  // the first on the path wins, as for imports
                found[normalized] = InstalledPackage(name: normalized, version: version, modules: modules(info))
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// `lib/pythonX.Y/site-packages` (and `lib64/...`, unless it is a link to `lib`) of a venv.
    private static func directories(_ venv: String) -> [String] {
        var seen = Set<String>()
        return ["lib", "lib64"].flatMap { lib -> [String] in
            (FileTree.names(in: venv + "/" + lib) ?? []).sorted().filter { $0.hasPrefix("python") }
                .map { "\(venv)/\(lib)/\($0)/site-packages" }
        }.filter { FileIdentity.of($0)?.kind == .directory && seen.insert(($0 as NSString).resolvingSymlinksInPath).inserted }
    }

    /// A header of the METADATA file's first block (`Name: numpy`).
    private static func header(_ field: String, in metadata: String) -> String? {
        for line in metadata.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty || line == "\r" { return nil }
            if line.hasPrefix(field + ":") {
                return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }

    /// The top-level modules: `top_level.txt` when the wheel has one, else the
    /// installed files' first path components (packages and single-file modules).
    private static func modules(_ info: String) -> [String] {
        if let top = FileBytes.read(info + "/top_level.txt").map({ String(decoding: $0, as: UTF8.self) }) {
            return Set(top.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("_") }).sorted()
        }
        guard let record = FileBytes.read(info + "/RECORD") else { return [] }
        // Only each line's first path component matters: scan bytes, and make a
        // string only when it differs from the previous line's (RECORD lists a
        // package's files together; scipy's has 1,500 lines).
        var found = Set<String>()
        let initFile = Array("__init__.py".utf8)
        var previous: ArraySlice<UInt8> = []
        var lineStart = 0
        while lineStart < record.count {
            let lineEnd = record[lineStart...].firstIndex(of: 0x0A) ?? record.count
            let pathEnd = record[lineStart..<lineEnd].firstIndex(of: 0x2C) ?? lineEnd  // ','
            let slash = record[lineStart..<pathEnd].firstIndex(of: 0x2F)                 // '/'
            let first = record[lineStart..<(slash ?? pathEnd)]
            defer { lineStart = lineEnd + 1 }
            let isInit = slash.map { record[($0 + 1)..<pathEnd].elementsEqual(initFile) } ?? false
            if slash != nil, !isInit, first.elementsEqual(previous) { continue }
            previous = first
            let name = String(decoding: first, as: UTF8.self)
            if name.hasSuffix(".dist-info") || name.hasSuffix(".data") || name == ".." || name == "__pycache__" { continue }
            if slash != nil {
                if isInit { found.insert(name) }  // a package: its `__init__.py` directly inside
            } else if name.hasSuffix(".py") {
                found.insert(String(name.dropLast(3)))
            } else if name.hasSuffix(".so") {
                found.insert(String(name.prefix { $0 != "." }))
            }
        }
        return found.filter { !$0.hasPrefix("_") }.sorted()
    }
}
