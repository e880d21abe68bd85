/// Link destinations as they are written into `href` and `src`: percent-encoded
/// where a URL may not hold the character, existing `%XX` escapes kept (as
/// markdown-it's `mdurl.encode` and cmark do).
enum URLEncoding {
    /// ASCII bytes written as they are; every other byte is percent-encoded.
    private static let safe: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789;/?:@&=+$,-_.!~*'()#".utf8 {
            table[Int(byte)] = true
        }
        return table
    }()

    static func normalize(_ url: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(url.count)
        let hex = Array("0123456789ABCDEF".utf8)
        var i = 0
        while i < url.count {
            let byte = url[i]
            if byte == UInt8(ascii: "%"), i + 2 < url.count, isHexDigit(url[i + 1]), isHexDigit(url[i + 2]) {
                out.append(contentsOf: url[i..<(i + 3)])
                i += 3
                continue
            }
            if safe[Int(byte)] {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
            i += 1
        }
        return out
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        byte.isASCIIDigit || ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "f"))
    }
}
