import Foundation
import SplitbookSpec

/// The points of a parameter sweep (`run --sweep name=v1,v2 --sweep other=...`):
/// the cartesian product of each swept param's values, the first param
/// varying slowest. Values are read as YAML, like `-p`.
public struct SweepGrid: Sendable {
    /// One swept param and its values, in the order given.
    public struct Axis: Sendable {
        public var name: String
        public var values: [JSONValue]
    }

    public var axes: [Axis]

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses each `name=values` argument: `v1,v2,...` (each read as YAML), a
    /// YAML flow list `[a, "b,c"]`, or `range(start, stop[, step])` (stop excluded, as in Python).
    public init(_ arguments: [String]) throws(ParseError) {
        axes = []
        for argument in arguments {
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw ParseError(description: "--sweep \(argument): write --sweep name=v1,v2,... or name=range(start,stop,step)")
            }
            let name = String(argument[..<eq]), text = String(argument[argument.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            guard !axes.contains(where: { $0.name == name }) else { throw ParseError(description: "--sweep \(name) is given twice") }
            let values = try Self.values(text, argument: argument)
            guard !values.isEmpty else { throw ParseError(description: "--sweep \(argument): no values") }
            axes.append(Axis(name: name, values: values))
        }
    }

    private static func values(_ text: String, argument: String) throws(ParseError) -> [JSONValue] {
        if text.hasPrefix("range("), text.hasSuffix(")") {
            let parts = text.dropFirst(6).dropLast().split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
                throw ParseError(description: "--sweep \(argument): write range(start, stop) or range(start, stop, step) with numbers")
            }
            let (start, stop, step) = (parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 1)
            guard step != 0, (stop - start) / step <= 10_000 else { throw ParseError(description: "--sweep \(argument): the range is empty or endless") }
            var values: [JSONValue] = []
            var i = 0
            while true {
                let v = start + Double(i) * step
                if step > 0 ? v >= stop - 1e-12 * abs(step) : v <= stop + 1e-12 * abs(step) { break }
                let rounded = (v * 1e12).rounded() / 1e12
                values.append(rounded == rounded.rounded() && abs(rounded) < 1e15 ? .int(Int(rounded)) : .double(rounded))
                i += 1
            }
            return values
        }
        if text.hasPrefix("[") {
            guard case .array(let items)? = JSONValue.parseYAML(text) else { throw ParseError(description: "--sweep \(argument): not a YAML list") }
            return items
        }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { item throws(ParseError) -> JSONValue in
            guard let value = JSONValue.parseYAML(item.trimmingCharacters(in: .whitespaces)) else {
                throw ParseError(description: "--sweep \(argument): '\(item)' is not a YAML value")
            }
            return value
        }
    }

    /// Every point, as param name -> value.
    public var points: [[String: JSONValue]] {
        axes.reduce([[:]]) { partial, axis in
            partial.flatMap { point in axis.values.map { value in point.merging([axis.name: value]) { $1 } } }
        }
    }

    /// A sweep's id: the same notebook, fixed params and grid give the same id, so a rerun resumes it.
    public func id(notebook: String, fixed: [String: JSONValue]) -> String {
        let grid = axes.map { "\($0.name)=" + JSONValue.array($0.values).canonicalJSON }.joined(separator: "\n")
        return "sw-" + Digest.of("splitbook-sweep 1\n\(notebook)\n\(JSONValue.object(fixed).canonicalJSON)\n\(grid)").hex.prefix(10)
    }
}
