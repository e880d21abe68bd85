import Foundation

/// Headless Chromium, for tests that open reports the way a reader does.
///
/// Found on PATH; when it is missing and the tests run as root, installed once
/// per test process with `apt-get install -y --no-install-recommends chromium`
/// (after `apt-get update` if that fails), so on a machine without Chromium
/// these tests need the Debian mirror. Anywhere else a missing Chromium is a
/// failure with instructions, never a skip.
public enum Chromium {
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The `chromium` executable, installing it if needed (once per test process).
    public static func executable() throws -> URL { try cached.get() }

    private static let cached: Result<URL, SetupError> = Result { () throws(SetupError) in try locate() }

    /// The page's DOM after its scripts ran (`--dump-dom`), with
    /// `budget` milliseconds of virtual time for loads, timers and refreshes.
    public static func dumpDOM(_ page: URL, windowSize: String = "1280,900", budget: Int = 5000) throws -> String {
        let result = try run(["--dump-dom", "--window-size=\(windowSize)", "--virtual-time-budget=\(budget)", page.absoluteString])
        guard result.status == 0, !result.stdout.isEmpty else {
            throw SetupError(description: "chromium --dump-dom \(page.path) exited \(result.status):\n\(result.stderr.suffix(2000))")
        }
        return result.stdout
    }

    /// A PNG of the page's first `windowSize` pixels.
    public static func screenshot(_ page: URL, to png: URL, windowSize: String = "1280,900") throws {
        let result = try run(["--screenshot=\(png.path)", "--window-size=\(windowSize)", "--hide-scrollbars", page.absoluteString])
        guard result.status == 0, FileManager.default.fileExists(atPath: png.path) else {
            throw SetupError(description: "chromium --screenshot \(page.path) exited \(result.status):\n\(result.stderr.suffix(2000))")
        }
    }

    /// One headless Chromium with a throw-away profile, killed after two minutes.
    private static func run(_ arguments: [String]) throws -> Binary.Result {
        let chromium = try executable()
        let profile = try TemporaryDirectory("chromium-profile")
        defer { profile.remove() }
        return try Process.capture(URL(fileURLWithPath: "/usr/bin/timeout"),
                                   ["120", chromium.path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--user-data-dir=\(profile.url.path)"] + arguments)
    }

    private static func locate() throws(SetupError) -> URL {
        if let found = onPath("chromium") { return found }
        guard geteuid() == 0 else {
            throw SetupError(description: "these tests open reports in headless Chromium, and `chromium` is not on PATH: "
                                        + "install it (Debian: `apt-get install chromium`) or run the tests as root to install it")
        }
        let install = ["install", "-y", "--no-install-recommends", "chromium"]
        if (try? apt(install))?.status != 0 {
            let update = try? apt(["update"])
            let second = try? apt(install)
            guard second?.status == 0 else {
                throw SetupError(description: "could not install chromium with apt-get (it needs the Debian mirror):\n"
                                            + (update?.stderr ?? "") + (second?.stderr ?? "apt-get did not start"))
            }
        }
        guard let found = onPath("chromium") else { throw SetupError(description: "apt-get installed chromium, but it is not on PATH") }
        return found
    }

    private static func apt(_ arguments: [String]) throws -> Binary.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        return try Process.capture(URL(fileURLWithPath: "/usr/bin/apt-get"), arguments, environment: environment)
    }

    private static func onPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
