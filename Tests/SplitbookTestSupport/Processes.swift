import Foundation

/// Whether `condition` becomes true within `seconds` (checked every 20 ms).
public func eventually(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// Whether `condition` becomes true within `seconds`, checked every 20 ms
/// without holding one of the concurrency pool's threads (which the code
/// under test may need) while it waits.
public func eventually(seconds: Double = 5, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while await !condition() {
        if Date() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}

/// Processes as /proc shows them.
public enum Processes {
    /// Every live process as (pid, parent, process group).
    public static func table() -> [(pid: Int32, parent: Int32, group: Int32)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name in
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, ppid, pgrp, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let parent = Int32(fields[1]), let group = Int32(fields[2]) else { return nil }
            return (pid, parent, group)
        }
    }

    /// The live descendants of `pid`.
    public static func descendants(of pid: Int32) -> [Int32] {
        let table = table()
        var found: [Int32] = [], frontier = [pid]
        while let next = frontier.popLast() {
            let children = table.filter { $0.parent == next }.map(\.pid)
            found += children
            frontier += children
        }
        return found
    }

    public static func group(of pid: Int32) -> Int32? { table().first { $0.pid == pid }?.group }

    public static func members(of group: Int32) -> [Int32] { table().filter { $0.group == group }.map(\.pid) }

    /// How many descriptors `pid` has open.
    public static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// The fields of /proc/PID/status ("State", "SigPnd", ...), empty once it is gone.
    public static func status(_ pid: Int32) -> [String: String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return [:] }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }
}
