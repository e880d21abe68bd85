import Foundation

/// The distributions a Python interpreter can import, read through the
/// interpreter itself (`importlib.metadata`, so it sees exactly what the
/// cells would see).
public struct InstalledPackage: Codable, Sendable, Equatable {
    /// The normalised name (PEP 503): `scikit-learn`.
    public var name: String
    public var version: String
    /// The top-level modules it provides (`sklearn`), when known.
    public var modules: [String]?

    public init(name: String, version: String, modules: [String]? = nil) {
        self.name = name
        self.version = version
        self.modules = modules
    }

    /// `scikit-learn==1.7.2`: how a lock and pip write a pin.
    public var pin: String { "\(name)==\(version)" }

    /// PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`.
    public static func normalize(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for c in name.lowercased() {
            if c == "-" || c == "_" || c == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(c)
                lastWasSeparator = false
            }
        }
        return out
    }
}

/// What an interpreter reports about its packages.
struct PackageInventory: Codable {
    var executable: String
    /// The interpreter a virtual environment was made from (itself otherwise), symlinks resolved.
    var base: String
    var version: String
    /// The directories on its import path that exist, plus the user site directory:
    /// installing or removing a package changes one of them.
    var watched: [String]
    var packages: [InstalledPackage]

    /// The probe: run as `python -E -c SCRIPT`. `-E` ignores PYTHON* variables,
    /// as cells never get the caller's; the user site directory counts (cells
    /// see it too), the current directory does not.
    static let script = #"""
import importlib.metadata as md, json, os, re, site, sys
def norm(n): return "-".join(filter(None, re.split(r"[-_.]+", n.lower())))
seen, out = set(), []
for d in md.distributions():
    # A wheel's NAME-VERSION.dist-info names it; parsing METADATA costs more than the rest.
    stem = os.path.basename(str(getattr(d, "_path", "")))
    parts = stem[:-len(".dist-info")].split("-") if stem.endswith(".dist-info") else []
    name, version = (parts[0], parts[1]) if len(parts) == 2 else (d.metadata["Name"], d.version)
    if not name or norm(name) in seen: continue
    seen.add(norm(name))
    out.append({"name": norm(name), "version": version})
out.sort(key=lambda p: p["name"])
user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
watched = sorted({os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)} | ({user} if user else set()))
base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
print(json.dumps({"executable": sys.executable, "base": base, "version": sys.version.split()[0], "watched": watched, "packages": out}))
"""#

    /// Asks `python` (with `environment`) for its inventory.
    static func read(python: String, environment: [String: String]) throws -> PackageInventory {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-E", "-c", script]
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = readAll(output.fileHandleForReading.fileDescriptor)
        let message = readAll(errors.fileHandleForReading.fileDescriptor)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let inventory = try? JSONDecoder().decode(PackageInventory.self, from: data) else {
            throw InventoryError(description: "\(python) could not list its packages (exit \(process.terminationStatus)): "
                                 + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return inventory
    }

    /// Everything readable from `fd` (retrying on EINTR, which Foundation's handles do not).
    static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return data }
            data.append(buffer, count: n)
        }
    }
}

struct InventoryError: Error, CustomStringConvertible {
    let description: String
}
