import Foundation

/// The program that builds environments: `uv` when it is on PATH (fast, with
/// its own cache), else the interpreter's `venv` and `pip`.
/// `SPLITBOOK_INSTALLER=pip` or `=uv` chooses explicitly. Each reads its own
/// configuration from the environment (`PIP_INDEX_URL`, `UV_INDEX_URL`,
/// `PIP_FIND_LINKS`, proxies...), which is passed through unchanged.
enum Installer: Equatable {
    case uv(String)
    case pip

    static func choose(environment: [String: String]) throws(InstallerError) -> Installer {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        switch environment["SPLITBOOK_INSTALLER"] {
        case "pip"?: return .pip
        case "uv"?:
            guard let uv = InterpreterResolver.which("uv", path: path) else {
                throw InstallerError(description: "SPLITBOOK_INSTALLER=uv, but there is no uv on PATH")
            }
            return .uv(uv)
        case nil, ""?: return InterpreterResolver.which("uv", path: path).map(Installer.uv) ?? .pip
        case let other?: throw InstallerError(description: "SPLITBOOK_INSTALLER=\(other): write uv or pip")
        }
    }

    var name: String {
        switch self {
        case .uv: "uv"
        case .pip: "pip"
        }
    }

    /// Makes an empty environment for `base` at `directory`.
    func createCommand(base: String, at directory: String) -> [String] {
        switch self {
        case .uv(let uv): [uv, "venv", "--quiet", "--no-config", "--python", base, directory]
        case .pip: [base, "-m", "venv", directory]
        }
    }

    /// Installs a requirements file into the environment of `python`:
    /// resolving dependencies, or (`exact`) exactly the pins listed.
    func installCommand(python: String, requirements: String, exact: Bool) -> [String] {
        switch self {
        case .uv(let uv):
            exact ? [uv, "pip", "sync", "--no-config", "--python", python, requirements]
                  : [uv, "pip", "install", "--no-config", "--python", python, "-r", requirements]
        case .pip:
            [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"] + (exact ? ["--no-deps"] : [])
                + ["-r", requirements]
        }
    }

    /// Distributions the installer itself puts into an environment (pip's
    /// venvs come with pip): not part of a lock unless asked for.
    static let tools: Set<String> = ["pip", "setuptools", "wheel"]
}

struct InstallerError: Error, CustomStringConvertible {
    let description: String
}
