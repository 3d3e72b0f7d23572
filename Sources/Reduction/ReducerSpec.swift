import Foundation

/// A reducer named on the command line or in a pipeline file: `name:key=value,key=value`.
public struct ReducerSpec: Sendable, Hashable, CustomStringConvertible {
    /// The reducer's name (e.g. `evs`).
    public var name: String
    /// Options in the order given.
    public var options: [(key: String, value: String)] {
        get { zip(keys, values).map { ($0, $1) } }
        set {
            keys = newValue.map(\.key)
            values = newValue.map(\.value)
        }
    }
    private var keys: [String]
    private var values: [String]

    public init(name: String, options: [(key: String, value: String)] = []) {
        self.name = name
        self.keys = options.map(\.key)
        self.values = options.map(\.value)
    }

    /// Parses `name` or `name:key=value,key=value`.
    ///
    /// - Throws: `ReductionError` when the text is empty or an option is not `key=value`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingCharacters(in: .whitespaces).lowercased()
        guard !name.isEmpty else {
            throw ReductionError("empty reducer in '\(text)' — write it as name:key=value, e.g. evs:rate=0.7")
        }
        var options: [(key: String, value: String)] = []
        if parts.count == 2 {
            for item in parts[1].split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, !pair[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw ReductionError(
                        "reducer option '\(item)' in '\(text)' is not key=value — e.g. \(name):rate=0.7")
                }
                options.append(
                    (
                        String(pair[0]).trimmingCharacters(in: .whitespaces).lowercased(),
                        String(pair[1]).trimmingCharacters(in: .whitespaces)
                    ))
            }
        }
        self.init(name: name, options: options)
    }

    /// The value of an option, the last one when given twice.
    public func value(_ key: String) -> String? {
        guard let i = keys.lastIndex(of: key) else { return nil }
        return values[i]
    }

    /// This spec with `other`'s options laid over its own (flags over a pipeline file).
    public func merged(with other: ReducerSpec) -> ReducerSpec {
        var merged = self
        for (key, value) in other.options {
            if let i = merged.keys.firstIndex(of: key) {
                merged.values[i] = value
            } else {
                merged.keys.append(key)
                merged.values.append(value)
            }
        }
        return merged
    }

    public var description: String {
        options.isEmpty ? name : name + ":" + options.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    public static func == (lhs: ReducerSpec, rhs: ReducerSpec) -> Bool {
        lhs.name == rhs.name && lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(keys)
        hasher.combine(values)
    }
}

extension ReducerSpec {
    /// Throws when the spec names an option outside `allowed`.
    func checkKeys(_ allowed: Set<String>) throws {
        for key in keys where !allowed.contains(key) {
            throw ReductionError(
                "unknown option '\(key)' for reducer '\(name)' — valid options: "
                    + allowed.sorted().joined(separator: ", "))
        }
    }

    /// The option as a number, or nil when absent.
    func double(_ key: String) throws -> Double? {
        guard let text = value(key) else { return nil }
        guard let x = Double(text), x.isFinite else {
            throw ReductionError("\(name): \(key)=\(text) is not a number")
        }
        return x
    }

    /// The option as an integer, or nil when absent.
    func int(_ key: String) throws -> Int? {
        guard let text = value(key) else { return nil }
        guard let x = Int(text) else {
            throw ReductionError("\(name): \(key)=\(text) is not a whole number")
        }
        return x
    }
}
