import Foundation

/// What an executable's ELF headers say about where it can run: enough to
/// tell a static Linux build, which runs in any image of its machine, from a
/// dynamically linked one, which needs a loader and shared libraries the
/// serving image does not have. Reads the file header, the program headers
/// and the dynamic section (64-bit little-endian ELF; anything else is
/// another machine).
struct ELFExecutable {
    /// Why a file cannot be the serving image's `splitbook`.
    enum Problem: Equatable {
        case unreadable(String)
        case notELF
        case damaged
        case otherMachine(String)
        case notExecutable
        /// It names a program interpreter (the dynamic loader).
        case interpreter(String)
        /// It has no interpreter but still lists shared libraries (a shared library itself).
        case sharedLibraries([String])

        var description: String {
            switch self {
            case .unreadable(let reason): "cannot be read (\(reason))"
            case .notELF: "is not a Linux executable (no ELF header)"
            case .damaged: "is a damaged ELF file (its program headers cannot be read)"
            case .otherMachine(let machine): "is built for \(machine), not for this machine (\(ELFExecutable.hostMachine.name))"
            case .notExecutable: "is an ELF file but not an executable"
            case .interpreter(let loader): "is dynamically linked: it starts through the loader \(loader) and loads shared libraries the image does not have"
            case .sharedLibraries(let names): "needs the shared libraries \(names.joined(separator: ", ")), which the image does not have"
            }
        }
    }

    /// The ELF machine code of the machine splitbook was built for, and its name.
    static let hostMachine: (code: UInt16, name: String) = {
        #if arch(x86_64)
        (62, "x86-64")
        #elseif arch(arm64)
        (183, "aarch64")
        #else
        (0, "an unsupported machine")
        #endif
    }()

    private static let machineNames: [UInt16: String] = [3: "i386", 40: "arm", 62: "x86-64", 183: "aarch64", 243: "riscv", 21: "ppc64"]

    private let bytes: FileHandle

    /// Nil when `url` is a static ELF executable of this machine; else why not. (Offsets
    /// and sizes come from the file: arithmetic on them wraps rather than traps.)
    static func problem(with url: URL) -> Problem? {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            return .unreadable(error.localizedDescription)
        }
        defer { try? handle.close() }
        return ELFExecutable(bytes: handle).problem()
    }

    private func problem() -> Problem? {
        guard let header = read(0, 64), header.count == 64, header.prefix(4).elementsEqual([0x7F, 0x45, 0x4C, 0x46]) else { return .notELF }
        let machine = Self.uint16(header, 18)
        guard header[4] == 2, header[5] == 1, machine == Self.hostMachine.code else {
            let name = Self.machineNames[header[5] == 1 ? machine : machine.byteSwapped] ?? "machine \(machine)"
            return .otherMachine((header[4] == 1 ? "32-bit " : "") + name)
        }
        let type = Self.uint16(header, 16)
        guard type == 2 || type == 3 else { return .notExecutable }  // ET_EXEC or ET_DYN (PIE)
        let tableOffset = Self.uint64(header, 32), entrySize = UInt64(Self.uint16(header, 54)), count = UInt64(Self.uint16(header, 56))
        guard entrySize >= 56, let table = read(tableOffset, entrySize * count) else { return .damaged }
        var segments: [Segment] = []
        for i in 0..<Int(count) {
            let entry = table.subdata(in: i * Int(entrySize)..<(i * Int(entrySize) + 56))
            let segment = Segment(kind: Self.uint32(entry, 0), offset: Self.uint64(entry, 8), address: Self.uint64(entry, 16),
                                  size: Self.uint64(entry, 32))
            if segment.kind == 3 {  // PT_INTERP
                let path = read(segment.offset, segment.size).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } ?? "?"
                return .interpreter(path)
            }
            segments.append(segment)
        }
        guard let dynamic = segments.first(where: { $0.kind == 2 }) else { return nil }  // PT_DYNAMIC
        let needed = neededLibraries(dynamic, loads: segments.filter { $0.kind == 1 })  // PT_LOAD
        return needed.isEmpty ? nil : .sharedLibraries(needed)
    }

    /// A program header: its type, where it is in the file and in memory, its size in the file.
    private struct Segment {
        let kind: UInt32
        let offset: UInt64
        let address: UInt64
        let size: UInt64
    }

    /// The DT_NEEDED entries of the dynamic section, by name where the string table is found.
    private func neededLibraries(_ dynamic: Segment, loads: [Segment]) -> [String] {
        guard let section = read(dynamic.offset, dynamic.size) else { return [] }
        var needed: [UInt64] = []
        var stringTable: UInt64?
        for start in stride(from: 0, to: section.count - 15, by: 16) {
            let tag = Self.uint64(section, start), value = Self.uint64(section, start + 8)
            if tag == 0 { break }  // DT_NULL
            if tag == 1 { needed.append(value) }  // DT_NEEDED
            if tag == 5 { stringTable = value }  // DT_STRTAB, an address in memory
        }
        // The string table's file offset, from the loaded segment that holds its address.
        let tableOffset = stringTable.flatMap { address in
            loads.first { $0.address <= address && address - $0.address < $0.size }.map { (address - $0.address) &+ $0.offset }
        }
        return needed.map { name in
            guard let tableOffset, let bytes = read(tableOffset &+ name, 256, partial: true) else { return "#\(name)" }
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// `count` bytes at `offset` (fewer with `partial`, at the end of the file); nil past the end.
    private func read(_ offset: UInt64, _ count: UInt64, partial: Bool = false) -> Data? {
        guard count <= 1 << 20, offset < 1 << 62, (try? bytes.seek(toOffset: offset)) != nil,
              let data = try? bytes.read(upToCount: Int(count)), data.count == Int(count) || (partial && !data.isEmpty) else { return nil }
        return data
    }

    private static func uint16(_ data: Data, _ at: Int) -> UInt16 { UInt16(data[data.startIndex + at]) | UInt16(data[data.startIndex + at + 1]) << 8 }
    private static func uint32(_ data: Data, _ at: Int) -> UInt32 { UInt32(uint16(data, at)) | UInt32(uint16(data, at + 2)) << 16 }
    private static func uint64(_ data: Data, _ at: Int) -> UInt64 { UInt64(uint32(data, at)) | UInt64(uint32(data, at + 4)) << 32 }
}
