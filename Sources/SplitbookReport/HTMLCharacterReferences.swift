/// Character references (`&amp;`, `&#106;`, `&#x6A;`) in attribute values and text.
///
/// The sanitizer decodes attribute values, checks them, and writes them back
/// escaped, so a browser reads exactly the value that was checked: a
/// reference this table does not know stays literal text (`&amp;Foo;`), never
/// a character the check did not see.
enum HTMLCharacterReferences {
    /// Named references decoded in attribute values: the ones HTML writers use,
    /// and every one that spells a character a URL scheme check must see.
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "Tab": "\t", "NewLine": "\n", "colon": ":", "sol": "/", "bsol": "\\", "period": ".", "comma": ",",
        "semi": ";", "num": "#", "quest": "?", "excl": "!", "equals": "=", "percnt": "%", "plus": "+",
        "lpar": "(", "rpar": ")", "commat": "@", "lowbar": "_", "dollar": "$", "ast": "*",
        "copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "middot": "·",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "times": "×", "rarr": "→", "larr": "←", "bull": "•",
    ]

    /// The code points 0x80–0x9F stand for in a numeric reference (windows-1252), as the standard says.
    private static let windows1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02C6,
        0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201C,
        0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC, 0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A,
        0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    /// `value` with numeric references (the `;` optional, as browsers allow) and
    /// the named references above decoded; anything else is left as written.
    static func decode(_ value: String) -> String {
        guard value.contains("&") else { return value }
        let scalars = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "&", let (decoded, length) = reference(scalars, at: i) {
                out.append(contentsOf: decoded.unicodeScalars)
                i += length
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    /// The reference starting at `start` (an `&`) and how many scalars it spans.
    private static func reference(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var i = start + 1
        if i < s.count, s[i] == "#" {
            i += 1
            let hex = i < s.count && (s[i] == "x" || s[i] == "X")
            if hex { i += 1 }
            let digitsStart = i
            var value: UInt32 = 0
            while i < s.count, s[i].isASCII, let d = UInt32(String(s[i]), radix: hex ? 16 : 10) {
                value = min(value &* (hex ? 16 : 10) &+ d, 0x110000)
                i += 1
            }
            guard i > digitsStart else { return nil }
            if i < s.count, s[i] == ";" { i += 1 }
            return (String(character(value)), i - start)
        }
        var name = ""
        while i < s.count, s[i].isASCII, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) {
            name.unicodeScalars.append(s[i])
            i += 1
        }
        guard i < s.count, s[i] == ";", let text = named[name] else { return nil }
        return (text, i + 1 - start)
    }

    /// The character a numeric reference stands for (U+FFFD for nothing, surrogates and beyond Unicode).
    private static func character(_ value: UInt32) -> Unicode.Scalar {
        if let mapped = windows1252[value] { return Unicode.Scalar(mapped)! }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
        return scalar
    }
}
