/// libyaml reads YAML 1.1, where NEL (U+0085), LINE SEPARATOR (U+2028) and
/// PARAGRAPH SEPARATOR (U+2029) end lines. Editors and YAML 1.2 treat them as
/// ordinary characters: to libyaml, a U+2028 pasted into a block of code would
/// end the block, and every position after it would be a line off.
///
/// So the reader gives libyaml a copy of the document in which each of them is
/// replaced by a private-use character that can occur nowhere in the document
/// (neither written out nor as an escape such as `\uE000`), and puts the
/// originals back into scalar values. Lines, columns and values are then those
/// of an editor and of YAML 1.2. A stand-in has one scalar, like the character
/// it stands for, so columns do not move.
struct BreakStandIns {
    private static let originals: [Unicode.Scalar] = ["\u{85}", "\u{2028}", "\u{2029}"]
    /// Private-use scalars, tried in order.
    private static let candidates: [ClosedRange<UInt32>] = [0xE000...0xF8FF, 0xF0000...0xFFFFD, 0x100000...0x10FFFD]

    /// For each of the three present, its stand-in.
    private let standIns: [(original: Unicode.Scalar, standIn: Unicode.Scalar)]

    /// The stand-ins for a document, or nil when it holds none of the three
    /// characters (the usual case). One pass over the bytes, which must be
    /// valid UTF-8. Throws when every candidate occurs in the document.
    init?(_ utf8: UnsafeBufferPointer<UInt8>) throws(YAMLReader.Failure) {
        var present: [(original: Unicode.Scalar, first: Int)] = []
        var used = Set<UInt32>()  // candidates written out or as escapes (counted wherever they are: a superset is safe)
        var i = 0
        while i < utf8.count {
            let lead = utf8[i]
            guard lead >= 0x80 else {
                if lead == UInt8(ascii: "\\"), i + 1 < utf8.count, let value = Self.escape(utf8, at: i) { used.insert(value) }
                i += 1
                continue
            }
            let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            var value = UInt32(lead) & (0x7F >> length)
            for k in 1..<length { value = value << 6 | UInt32(utf8[i + k] & 0x3F) }
            let scalar = Unicode.Scalar(value)!
            if Self.originals.contains(scalar) {
                if !present.contains(where: { $0.original == scalar }) { present.append((scalar, i)) }
            } else if value >= 0xE000 {
                used.insert(value)
            }
            i += length
        }
        guard !present.isEmpty else { return nil }
        var standIns: [(original: Unicode.Scalar, standIn: Unicode.Scalar)] = []
        for (original, first) in present {
            guard let free = Self.candidates.lazy.flatMap({ $0 }).first(where: { !used.contains($0) }) else {
                throw .init(reason: .noStandIn(original), location: SourceLocation(utf8: utf8, offset: first))
            }
            used.insert(free)
            standIns.append((original, Unicode.Scalar(free)!))
        }
        self.standIns = standIns
    }

    /// The scalar a `\xHH`, `\uHHHH` or `\UHHHHHHHH` escape at `i` would write, if it is one.
    private static func escape(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt32? {
        let digits: Int
        switch utf8[i + 1] {
        case UInt8(ascii: "x"): digits = 2
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default: return nil
        }
        guard i + 2 + digits <= utf8.count else { return nil }
        return UInt32(String(decoding: utf8[(i + 2)..<(i + 2 + digits)], as: UTF8.self), radix: 16)
    }

    /// The next NEL (`C2 85`), U+2028 (`E2 80 A8`) or U+2029 (`E2 80 A9`) at or after `start`.
    private static func nextOriginal(in bytes: UnsafeBufferPointer<UInt8>, from start: Int)
        -> (offset: Int, length: Int, original: Unicode.Scalar)? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 0xC2, bytes[i + 1] == 0x85 { return (i, 2, "\u{85}") }
            if bytes[i] == 0xE2, bytes[i + 1] == 0x80, i + 2 < bytes.count, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                return (i, 3, bytes[i + 2] == 0xA8 ? "\u{2028}" : "\u{2029}")
            }
            i += 1
        }
        return nil
    }

    /// The document as libyaml should see it: each original replaced by its stand-in.
    func substitute(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var copied = 0
        var next = Self.nextOriginal(in: utf8, from: 0)
        while let found = next {
            out.append(contentsOf: utf8[copied..<found.offset])
            out.append(contentsOf: UTF8.encode(standIns.first { $0.original == found.original }!.standIn)!)
            copied = found.offset + found.length
            next = Self.nextOriginal(in: utf8, from: copied)
        }
        out.append(contentsOf: utf8[copied...])
        return out
    }

    /// A scalar value's text, read from the substituted document, with the originals back.
    func text(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: utf8, as: UTF8.self)
        // Every stand-in is private-use, so its first byte is EE, EF, F3 or F4.
        guard utf8.contains(where: { $0 >= 0xEE }) else { return text }
        var restored = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            restored.append(standIns.first { $0.standIn == scalar }?.original ?? scalar)
        }
        return String(restored)
    }
}
