import Foundation

/// Small real Linux executables compiled with gcc: a static one (what
/// `export online --binary` accepts for the serving image, where a static
/// splitbook would go) and a dynamically linked one (what it refuses). Built
/// once into `.build/test-native` (aside, then renamed into place, so that
/// concurrent test processes never see half a build) and reused. A missing gcc
/// or static libc fails the test that asked.
public enum NativeExecutables {
    public struct BuildError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `gcc -static`: no program interpreter, no shared libraries.
    public static func staticELF() throws -> URL { try built.get().staticELF }

    /// Plain `gcc`: started through the dynamic loader.
    public static func dynamicELF() throws -> URL { try built.get().dynamicELF }

    /// The dynamic loader a dynamically linked executable names (its PT_INTERP), from `readelf`.
    public static func loader(of executable: URL) throws -> URL {
        let result = try Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["readelf", "--program-headers", executable.path])
        guard let line = result.stdout.split(separator: "\n").first(where: { $0.contains("Requesting program interpreter:") }),
              let path = line.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: " ]")) else {
            throw BuildError(description: "readelf names no program interpreter in \(executable.path):\n\(result.stdout)\(result.stderr)")
        }
        return URL(fileURLWithPath: path)
    }

    private static let built: Result<(staticELF: URL, dynamicELF: URL), BuildError> = Result { () throws(BuildError) in try build() }

    private static func build() throws(BuildError) -> (staticELF: URL, dynamicELF: URL) {
        let folder = Binary.packageRoot.appendingPathComponent(".build/test-native")
        let built = (folder.appendingPathComponent("static"), folder.appendingPathComponent("dynamic"))
        if FileManager.default.isExecutableFile(atPath: built.0.path), FileManager.default.isExecutableFile(atPath: built.1.path) {
            return built
        }
        let staging = Binary.packageRoot.appendingPathComponent(".build/test-native.\(ProcessInfo.processInfo.processIdentifier)")
        let source = staging.appendingPathComponent("main.c")
        do {
            try? FileManager.default.removeItem(at: staging)
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            try Data("int main(void) { return 0; }\n".utf8).write(to: source)
        } catch {
            throw BuildError(description: "cannot write the C source in \(staging.path): \(error)")
        }
        func gcc(_ flags: [String], _ name: String) throws(BuildError) {
            let result: Binary.Result
            do {
                result = try Process.capture(URL(fileURLWithPath: "/usr/bin/env"),
                                             ["gcc"] + flags + ["-o", staging.appendingPathComponent(name).path, source.path])
            } catch {
                throw BuildError(description: "cannot start gcc: \(error)")
            }
            guard result.status == 0 else { throw BuildError(description: "gcc \(flags.joined(separator: " ")) failed:\n\(result.stderr)") }
        }
        try gcc(["-static"], "static")
        try gcc([], "dynamic")
        if rename(staging.path, folder.path) != 0 {
            try? FileManager.default.removeItem(at: staging)  // another process put its build in place first
        }
        guard FileManager.default.isExecutableFile(atPath: built.0.path) else { throw BuildError(description: "no executables in \(folder.path)") }
        return built
    }
}
