import Foundation

/// A value whose coding keys, and those of everything it encodes, are spelled in snake_case
/// already: JSON output writes them as they are instead of converting each one (the conversion
/// was a fifth of the time of a 10,000-facility exposure report).
public protocol SnakeCaseKeys: Encodable {}

/// JSON rendering for command output: snake_case keys, sorted, pretty-printed, slashes unescaped, so that the
/// same facts always print the same bytes.
public enum JSONOutput {
    public static func render(_ value: some Encodable) throws -> String {
        try render(value, convertingKeys: !(value is any SnakeCaseKeys))
    }

    /// `render`, converting every key to snake_case or writing the keys as they are.
    static func render(_ value: some Encodable, convertingKeys: Bool) throws -> String {
        String(decoding: try encoder(convertingKeys: convertingKeys).encode(value), as: UTF8.self) + "\n"
    }

    private static func encoder(convertingKeys: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if convertingKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    /// Writes what `render` returns, a piece at a time: the value's stored properties in key
    /// order, and an array property an element at a time, so that a report of 100,000 rows never
    /// exists whole as a JSON tree or text (the reconciliation of a 100,000-item statement).
    /// For a struct whose `Encodable` conformance is synthesized, the bytes are `render`'s.
    public static func stream(_ value: some Encodable, to write: (String) -> Void) throws {
        let encoder = encoder(convertingKeys: !(value is any SnakeCaseKeys))
        func text(_ value: any Encodable, indent: String) throws -> String {
            // Every line but the first moved right by `indent`, blank lines (an empty array's) left
            // blank; byte by byte (a 100,000-item reconciliation spent seconds splitting Strings).
            let json = try encoder.encode(value)
            let pad = Array(indent.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(json.count + json.count / 4)
            var lineStarts = false
            for byte in json {
                if lineStarts && byte != UInt8(ascii: "\n") { out += pad }
                out.append(byte)
                lineStarts = byte == UInt8(ascii: "\n")
            }
            return String(decoding: out, as: UTF8.self)
        }
        let fields = Mirror(reflecting: value).children.compactMap { child -> (key: String, value: any Encodable)? in
            guard let label = child.label, let value = child.value as? any Encodable else { return nil }
            return (snakeCase(label.hasPrefix("_") ? String(label.dropFirst()) : label), value)
        }.sorted { $0.key < $1.key }
        write("{\n")
        for (n, field) in fields.enumerated() {
            write("  \"\(field.key)\" : ")
            if let array = field.value as? [any Encodable] {
                write("[\n")
                if array.isEmpty { write("\n") }
                for (i, element) in array.enumerated() {
                    write("    " + (try text(element, indent: "    ")) + (i == array.count - 1 ? "\n" : ",\n"))
                }
                write("  ]")
            } else {
                write(try text(field.value, indent: "  "))
            }
            write(n == fields.count - 1 ? "\n" : ",\n")
        }
        write("}\n")
    }

    /// `entryIds` → `entry_ids`, as JSONEncoder's `.convertToSnakeCase` spells a property name.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase {
                if !out.isEmpty { out.append("_") }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }
}

/// An optional field that JSON output writes as `null` when absent instead of leaving the key
/// out, so that every report's JSON has the same keys whatever it holds.
@propertyWrapper
public struct NullWhenAbsent<Value: Encodable & Sendable & Equatable>: Encodable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}
