/// A statement and its parameters, built by string interpolation.
///
/// Every interpolated value becomes a `$n` parameter sent separately from the text, so no value
/// is ever spliced into SQL:
/// ```swift
/// let rows = try connection.query("SELECT title FROM account WHERE number = \(number)")
/// ```
/// Text that must be spliced (an identifier chosen by the program, a fragment) needs a loud label:
/// `"SET search_path TO \(unsafeSQL: schemaName)"`. Interpolating another `SQL` value inserts it
/// with its own parameters renumbered.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Segment: Sendable {
        case text(String)
        case parameter(String?)
    }

    var segments: [Segment]

    public init(stringLiteral value: String) { segments = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { segments = stringInterpolation.segments }

    /// SQL text taken as it is. Never build it from input.
    public init(unsafeSQL text: String) { segments = [.text(text)] }

    /// The statement text with `$1…$n` placeholders.
    public var text: String {
        var out = ""
        var n = 0
        for segment in segments {
            switch segment {
            case .text(let t): out += t
            case .parameter:
                n += 1
                out += "$\(n)"
            }
        }
        return out
    }

    /// The parameters in `$n` order, in PostgreSQL's text format (nil is SQL NULL).
    public var parameters: [String?] {
        segments.compactMap {
            if case .parameter(let v) = $0 { return .some(v) }
            return nil
        }
    }

    /// The text only: parameter values are never part of a description.
    public var description: String { text }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var out = lhs
        out.segments += rhs.segments
        return out
    }

    /// Appends in place: building a statement of n rows this way costs O(n), where `a = a + b` in
    /// a loop copies everything each time.
    public static func += (lhs: inout SQL, rhs: SQL) {
        lhs.segments += rhs.segments
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var segments: [Segment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            segments.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { segments.append(.text(literal)) }
        }

        /// A parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            segments.append(.parameter(value.postgresText))
        }

        /// A parameter that may be NULL.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            segments.append(.parameter(value?.postgresText))
        }

        /// Another statement fragment, with its parameters.
        public mutating func appendInterpolation(_ fragment: SQL) {
            segments += fragment.segments
        }

        /// Text spliced verbatim. Never pass input here.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            segments.append(.text(text))
        }

        /// A quoted identifier (`"name"`, with inner quotes doubled), for names chosen by the program.
        public mutating func appendInterpolation(identifier name: String) {
            segments.append(.text(quoteIdentifier(name)))
        }
    }
}

/// `"name"` with inner quotes doubled: safe to splice as an identifier.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
