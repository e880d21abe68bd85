import Foundation

/// A small XFS file system in an image file, loop-mounted for one test: the
/// only way to test reflinks on a machine whose disks are ext4.
///
/// Needs root (mount) and `mkfs.xfs`; when `mkfs.xfs` is missing and we are
/// root, `xfsprogs` is installed from the Debian mirror once (the one use of
/// the network here). Where mounting is not allowed (a container without the
/// capability, no loop devices), `unavailableReason` says why and the tests
/// that need it are skipped with that reason.
public final class LoopFileSystem: @unchecked Sendable {
    /// Where the file system is mounted.
    public let mountPoint: URL
    private let base: TemporaryDirectory

    /// Why no loop file system can be made here, or nil when one can.
    public static let unavailableReason: String? = {
        guard getuid() == 0 else { return "mounting a loop file system needs root" }
        guard FileManager.default.fileExists(atPath: "/dev/loop-control") else { return "no loop devices (/dev/loop-control)" }
        guard let mkfs = mkfsXFS() else { return "mkfs.xfs is missing and xfsprogs could not be installed" }
        do {
            let probe = try LoopFileSystem(megabytes: 300, mkfs: mkfs)
            probe.unmount()
            return nil
        } catch {
            return "cannot mount a loop XFS image: \(error)"
        }
    }()

    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Formats and mounts a fresh XFS image of `megabytes` (300 is XFS's minimum).
    public convenience init(megabytes: Int) throws {
        guard let mkfs = Self.mkfsXFS() else { throw SetupError(description: "mkfs.xfs is not available") }
        try self.init(megabytes: megabytes, mkfs: mkfs)
    }

    private init(megabytes: Int, mkfs: String) throws {
        base = try TemporaryDirectory("splitbook-xfs")
        let image = base.url.appendingPathComponent("fs.img")
        mountPoint = base.url.appendingPathComponent("mnt")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: image.path, contents: nil), truncate(image.path, off_t(megabytes) << 20) == 0 else {
            throw SetupError(description: "cannot make the image file \(image.path)")
        }
        try Self.run(mkfs, ["-q", "-f", "-m", "reflink=1", image.path])
        do {
            try Self.run("/bin/mount", ["-o", "loop", image.path, mountPoint.path])
        } catch {
            base.remove()
            throw error
        }
    }

    /// Unmounts and deletes the image.
    public func unmount() {
        _ = try? Self.run("/bin/umount", [mountPoint.path])
        base.remove()
    }

    private static func mkfsXFS() -> String? {
        let candidates = ["/usr/sbin/mkfs.xfs", "/sbin/mkfs.xfs"]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        if (try? run("/usr/bin/apt-get", ["install", "-y", "--no-install-recommends", "xfsprogs"])) == nil {
            _ = try? run("/usr/bin/apt-get", ["update"])
            _ = try? run("/usr/bin/apt-get", ["install", "-y", "--no-install-recommends", "xfsprogs"])
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func run(_ program: String, _ arguments: [String]) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        let result = try Process.capture(URL(fileURLWithPath: program), arguments, environment: environment)
        guard result.status == 0 else {
            throw SetupError(description: "\(program) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
    }
}
