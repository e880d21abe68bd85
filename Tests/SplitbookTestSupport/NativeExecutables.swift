import Foundation

/// Small real Linux executables compiled with gcc, made once per test process
/// in a temporary folder: a static one (what `export online --binary` accepts
/// for the serving image, where a static splitbook would go) and a dynamically
/// linked one (what it refuses). A missing gcc or static libc fails the test
/// that asked.
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
        let dir: TemporaryDirectory
        let source: URL
        do {
            dir = try TemporaryDirectory("splitbook-elf")
            source = try dir.write("main.c", "int main(void) { return 0; }\n")
        } catch {
            throw BuildError(description: "cannot write the C source: \(error)")
        }
        func gcc(_ flags: [String], _ name: String) throws(BuildError) -> URL {
            let output = dir.url.appendingPathComponent(name)
            let result: Binary.Result
            do {
                result = try Process.capture(URL(fileURLWithPath: "/usr/bin/env"), ["gcc"] + flags + ["-o", output.path, source.path])
            } catch {
                throw BuildError(description: "cannot start gcc: \(error)")
            }
            guard result.status == 0 else { throw BuildError(description: "gcc \(flags.joined(separator: " ")) failed:\n\(result.stderr)") }
            return output
        }
        return (try gcc(["-static"], "static"), try gcc([], "dynamic"))
    }
}
