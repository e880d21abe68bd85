/// Fixed-point decimal text without Foundation's `String(format:)`, whose
/// varargs dynamic casts cost a measurable part of a no-op rerun.
public enum DecimalText {
    /// `value` rounded to `digits` places as printf's `%.Nf` does (ties to even), e.g. `fixed(2.346, 2)` is "2.35".
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded(.toNearestOrEven)
        guard scaled < 9e15 else { return "\(value)" }
        let units = Int64(scaled)
        let sign = value.sign == .minus ? "-" : ""
        guard digits > 0 else { return sign + String(units) }
        let fraction = String(units % scale)
        return sign + String(units / scale) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}

/// Formats durations the way every report and summary does: `0.42 s`, `12 ms`, `3 min 5 s`.
public enum DurationText {
    public static func format(_ seconds: Double) -> String {
        if seconds < 0.001 { return "0 ms" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return DecimalText.fixed(seconds, 2) + " s" }
        let whole = Int(seconds.rounded())
        return "\(whole / 60) min \(whole % 60) s"
    }
}
