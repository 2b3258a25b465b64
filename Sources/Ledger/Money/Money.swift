/// An exact amount of one currency: a signed count of minor units (cents for USD).
///
/// Arithmetic is checked: overflow and mixing currencies throw, never wrap or convert.
/// ```swift
/// let a = try Money(parsing: "1250000.5", currency: .usd)   // 125000050 minor units
/// a.formatted                                              // "1250000.50"
/// ```
public struct Money: Hashable, Sendable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    /// Parses a plain decimal string with at most the currency's fraction digits: `1250000`,
    /// `12.5`, `-12.50`. Refuses an empty string, a sign other than a leading `-`, thousands
    /// separators, a comma as decimal mark, exponents, spaces, too many fraction digits, and
    /// amounts beyond 64-bit minor units.
    public init(parsing text: String, currency: Currency) throws(MoneyError) {
        self.init(minorUnits: try Money.parseMinorUnits(text, digits: currency.minorUnits, currency: currency.code), currency: currency)
    }

    static func parseMinorUnits(_ text: String, digits: Int, currency: String) throws(MoneyError) -> Int64 {
        guard !text.isEmpty else { throw .malformed(text: text, reason: "the amount is empty") }
        guard let (negative, whole, fraction) = DecimalText.split(Substring(text)) else {
            throw .malformed(text: text, reason: "an amount is digits with an optional leading '-' and one '.' as decimal mark, e.g. 1250000.00")
        }
        guard fraction.count <= digits else {
            throw .tooManyFractionDigits(text: text, currency: currency, allowed: digits)
        }
        var value: Int64 = 0
        for c in (whole + fraction + String(repeating: "0", count: digits - fraction.count)).utf8 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let d = Int64(c - UInt8(ascii: "0"))
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            guard !o1, !o2 else { throw .overflow(operation: "parsing \(text)") }
            value = s
        }
        return value
    }

    /// The amount with exactly the currency's digits and no grouping: `-1250.00`, `100`, `0.125`.
    public var formatted: String { Money.format(minorUnits: minorUnits, digits: currency.minorUnits) }

    /// `1250.00 USD`.
    public var description: String { "\(formatted) \(currency.code)" }

    static func format(minorUnits: Int64, digits: Int) -> String {
        DecimalText.format(magnitude: minorUnits.magnitude, negative: minorUnits < 0, scale: digits)
    }

    public var isZero: Bool { minorUnits == 0 }
    public var isNegative: Bool { minorUnits < 0 }

    public func adding(_ other: Money) throws(MoneyError) -> Money {
        try combine(other, "+") { $0.addingReportingOverflow($1) }
    }

    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        try combine(other, "-") { $0.subtractingReportingOverflow($1) }
    }

    public func negated() throws(MoneyError) -> Money {
        guard minorUnits != .min else { throw .overflow(operation: "-(\(self))") }
        return Money(minorUnits: -minorUnits, currency: currency)
    }

    private func combine(_ other: Money, _ symbol: String, _ op: (Int64, Int64) -> (partialValue: Int64, overflow: Bool)) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency.code, other.currency.code) }
        let (value, overflow) = op(minorUnits, other.minorUnits)
        guard !overflow else { throw .overflow(operation: "\(self) \(symbol) \(other)") }
        return Money(minorUnits: value, currency: currency)
    }
}

/// Why an amount is not an amount.
public enum MoneyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a plain decimal amount.
    case malformed(text: String, reason: String)
    /// More fraction digits than the currency has (`12.505` USD).
    case tooManyFractionDigits(text: String, currency: String, allowed: Int)
    /// A result beyond 64-bit minor units.
    case overflow(operation: String)
    /// Two currencies met in one sum; convert first.
    case currencyMismatch(String, String)
    /// A code not in the ISO 4217 table.
    case unknownCurrency(String)

    public var description: String {
        switch self {
        case .malformed(let text, _): "amount \"\(text)\" is not valid: \(reason)"
        case .tooManyFractionDigits(let text, _, _): "amount \"\(text)\" has \(reason)"
        case .overflow, .currencyMismatch: reason
        case .unknownCurrency(let code): "currency \"\(code)\" is \(reason)"
        }
    }

    /// What is wrong, without restating the value, for an input error that names the field and value itself
    /// (`row 3: amount "12.505": more than 2 fraction digits, the most USD has`).
    public var reason: String {
        switch self {
        case .malformed(_, let reason): reason
        case .tooManyFractionDigits(_, let currency, let allowed):
            "more than \(allowed) fraction digit\(allowed == 1 ? "" : "s"), the most \(currency) has"
        case .overflow(let operation): "amount overflow in \(operation): beyond 64-bit minor units"
        case .currencyMismatch(let a, let b): "cannot combine \(a) with \(b) without a conversion"
        case .unknownCurrency: "not an ISO 4217 code this ledger knows"
        }
    }
}

extension Currency {
    /// The currency for a code, or `MoneyError.unknownCurrency`.
    public static func named(_ code: String) throws(MoneyError) -> Currency {
        guard let c = Currency(code: code) else { throw .unknownCurrency(code) }
        return c
    }
}
