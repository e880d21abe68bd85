/// Writes JSON text straight into a string, for the files written on every
/// run (step keys, run records), where building `JSONValue` trees or going
/// through `Codable` would dominate a no-op run. The caller writes keys in
/// sorted order when the output must be canonical.
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma = false

    public init(capacity: Int = 256) { text.reserveCapacity(capacity) }

    public mutating func beginObject() { separator(); text += "{"; needsComma = false }
    public mutating func endObject() { text += "}"; needsComma = true }
    public mutating func beginArray() { separator(); text += "["; needsComma = false }
    public mutating func endArray() { text += "]"; needsComma = true }

    /// Writes `"name":`; the value follows.
    public mutating func key(_ name: String) {
        separator()
        JSONValue.writeString(name, to: &text)
        text += ":"
        needsComma = false
    }

    public mutating func string(_ value: String) { separator(); JSONValue.writeString(value, to: &text); needsComma = true }
    public mutating func int(_ value: Int) { separator(); text += String(value); needsComma = true }
    public mutating func bool(_ value: Bool) { separator(); text += value ? "true" : "false"; needsComma = true }
    public mutating func null() { separator(); text += "null"; needsComma = true }
    public mutating func double(_ value: Double) { separator(); text += JSONValue.double(value).canonicalJSON; needsComma = true }
    /// Writes already-encoded JSON as a value.
    public mutating func raw(_ json: String) { separator(); text += json; needsComma = true }

    public mutating func string(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func stringMap(_ name: String, _ map: [String: String]) {
        key(name)
        beginObject()
        for k in map.keys.sorted() { key(k); string(map[k]!) }
        endObject()
    }

    private mutating func separator() {
        if needsComma { text += "," }
    }
}
