/// Reads the line-based text files splitbook keeps (`hashes.v1`, state
/// files): each line split on single spaces into at most N fields, the last
/// field taking the rest of the line (so it may hold spaces). Works on UTF-8
/// bytes: these files are read on every run.
enum LineRecords {
    /// Calls `body` with each non-empty line's fields (up to `maxFields`);
    /// stops early when `body` returns false. Returns false if it stopped.
    @discardableResult
    static func forEach(in text: String, maxFields: Int, _ body: ([Substring]) -> Bool) -> Bool {
        var keepGoing = true
        for line in text.utf8.split(separator: 0x0A) where keepGoing {
            var fields: [Substring] = []
            fields.reserveCapacity(maxFields)
            var start = line.startIndex
            var i = line.startIndex
            while i < line.endIndex, fields.count < maxFields - 1 {
                if line[i] == 0x20 {
                    fields.append(Substring(line[start..<i]))
                    start = line.index(after: i)
                }
                i = line.index(after: i)
            }
            fields.append(Substring(line[start..<line.endIndex]))
            keepGoing = body(fields)
        }
        return keepGoing
    }
}
