import Foundation

/// Whole-file reads as raw bytes, for the files read on every run (stamps,
/// templates): no Foundation URL or String decoding on the way.
public enum FileBytes {
    /// The file's bytes, or nil if it cannot be opened or read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var count = 0
        let complete = bytes.withUnsafeMutableBytes { buffer -> Bool in
            while count < buffer.count {
                let n = Foundation.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                count += n
            }
            return true
        }
        return complete ? bytes : nil
    }

    /// The greatest name in a directory ending in `suffix` (without it), in
    /// byte order, ignoring hidden names (temporary files); one pass of
    /// `readdir`, no sorting or per-entry allocation.
    public static func greatestName(in directory: String, suffix: String) -> String? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        let tail = Array(suffix.utf8)
        var best: [UInt8]?
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> [UInt8]? in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
                guard length > tail.count, bytes[0] != UInt8(ascii: "."), bytes[length - tail.count..<length].elementsEqual(tail) else { return nil }
                let stem = bytes[0..<length - tail.count]
                if let best, !best.lexicographicallyPrecedes(stem) { return nil }
                return Array(stem)
            }
            if let name { best = name }
        }
        return best.map { String(decoding: $0, as: UTF8.self) }
    }
}
