import Foundation

/// The `splitbook` executable a serving bundle's image runs (`bin/splitbook`).
/// The image is a slim Linux with no Swift runtime, so only a static Linux
/// build of this machine runs in it; anything else is refused when the bundle
/// is exported, not when `docker build` or the container fails.
public enum ServingBinary {
    /// The command that makes a build that fits (the README's release build).
    static let staticBuild = "swift build -c release --static-swift-stdlib -Xswiftc -static-executable -Xlinker -no-pie"

    /// Why no executable fits, located at the file that was refused (a usage error).
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// `explicit` (`--binary`) when given, else the running executable; either must be a static Linux ELF of this machine.
    static func choose(explicit: URL?, running: URL) throws(Refused) -> URL {
        if let explicit {
            guard let problem = ELFExecutable.problem(with: explicit) else { return explicit }
            throw Refused(description: "\(explicit.relativePath): error: --binary \(problem.description); the serving image needs a static "
                          + "Linux build of splitbook\nnote: build one with `\(staticBuild)` and pass `--binary .build/release/splitbook`")
        }
        guard let problem = ELFExecutable.problem(with: running) else { return running }
        throw Refused(description: "\(running.path): error: the running splitbook \(problem.description), so it cannot go into the "
                      + "serving image, which needs a static Linux build\nnote: build one with `\(staticBuild)`, then export with "
                      + "`.build/release/splitbook export online ...` or pass `--binary .build/release/splitbook`")
    }

    /// The running executable's file (`/proc/self/exe` resolved; elsewhere the path it was started by).
    static var running: URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }
}
