import Dates

/// A Swift value that can be sent as a statement parameter, in PostgreSQL's text format.
public protocol PostgresEncodable {
    /// The text PostgreSQL parses for this value; nil is SQL NULL.
    var postgresText: String? { get }
}

/// A Swift value that can be read from a result column in PostgreSQL's text format.
public protocol PostgresDecodable {
    /// Decodes the column's text. Throws `PostgresDecodingFailure` naming what is wrong.
    static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Self
    /// The value for SQL NULL; the default refuses it.
    static func decodeNull() throws(PostgresDecodingFailure) -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws(PostgresDecodingFailure) -> Self {
        throw PostgresDecodingFailure("unexpected NULL")
    }
}

/// Why a column's text is not a value of the wanted type. The row turns it into a
/// `PostgresDecodingError` that names the column.
public struct PostgresDecodingFailure: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

// MARK: - Integers

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Int64 {
        guard let v = parseInt64(bytes) else {
            throw PostgresDecodingFailure("\(quoted(bytes)) is not a 64-bit integer")
        }
        return v
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Int32 {
        guard let v = parseInt64(bytes), let narrow = Int32(exactly: v) else {
            throw PostgresDecodingFailure("\(quoted(bytes)) is not a 32-bit integer")
        }
        return narrow
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Int {
        Int(try Int64.decode(postgresText: bytes))
    }
}

/// Parses an optionally signed decimal integer without allocating; nil on any other text or overflow.
func parseInt64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
    var i = 0
    var negative = false
    if bytes.count > 0, bytes[0] == UInt8(ascii: "-") {
        negative = true
        i = 1
    }
    guard i < bytes.count else { return nil }
    var v: Int64 = 0
    while i < bytes.count {
        let c = bytes[i]
        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
        let d = Int64(c - UInt8(ascii: "0"))
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
        guard !o1, !o2 else { return nil }
        v = a
        i += 1
    }
    return v
}

func quoted(_ bytes: UnsafeRawBufferPointer) -> String {
    let s = String(decoding: bytes.prefix(40), as: UTF8.self)
    return "\"" + s + (bytes.count > 40 ? "…" : "") + "\""
}

// MARK: - Text, booleans

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self ? "t" : "f" }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Bool {
        guard bytes.count == 1 else { throw PostgresDecodingFailure("\(quoted(bytes)) is not a boolean") }
        switch bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw PostgresDecodingFailure("\(quoted(bytes)) is not a boolean")
        }
    }
}

// MARK: - Dates, instants, exact decimals

extension CivilDate: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { description }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> CivilDate {
        guard let d = CivilDate(iso: String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("\(quoted(bytes)) is not a date in YYYY-MM-DD form between years 1 and 9999")
        }
        return d
    }
}

extension Instant: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { description }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Instant {
        guard let t = Instant(rfc3339: String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("\(quoted(bytes)) is not a timestamp with time zone")
        }
        return t
    }
}

extension PostgresNumeric: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { description }
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> PostgresNumeric {
        guard let n = PostgresNumeric(exactly: String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("\(quoted(bytes)) is not an exact decimal of at most 38 digits")
        }
        return n
    }
}

// MARK: - NULL

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Wrapped? {
        try Wrapped.decode(postgresText: bytes)
    }
    public static func decodeNull() throws(PostgresDecodingFailure) -> Wrapped? { nil }
}

// MARK: - String-backed enums

extension PostgresDecodable where Self: RawRepresentable, RawValue == String {
    /// An enum stored as its raw text; an unknown value names itself.
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> Self {
        guard let value = Self(rawValue: String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("unknown value \(quoted(bytes))")
        }
        return value
    }
}

extension PostgresEncodable where Self: RawRepresentable, RawValue == String {
    public var postgresText: String? { rawValue }
}
