/// An exact decimal number, as PostgreSQL's `numeric` holds it: `significand × 10^-scale`.
///
/// Up to 38 significant digits (Int128). `NaN` and infinities are refused when decoding; a value
/// with more digits is refused rather than rounded. No binary floating point is involved.
public struct PostgresNumeric: Hashable, Sendable, CustomStringConvertible {
    public let significand: Int128
    public let scale: Int

    public init(significand: Int128, scale: Int) {
        precondition(scale >= 0, "PostgresNumeric scale must not be negative")
        self.significand = significand
        self.scale = scale
    }

    /// Parses `-123.4500`, `0.5`, `42`. Refuses exponents, spaces, `+`, a point without a digit
    /// on each side, NaN, and more than 38 digits.
    public init?(exactly text: some StringProtocol) {
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integer = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !integer.isEmpty, parts.count == 1 || !fraction.isEmpty else { return nil }
        var value: Int128 = 0
        for c in Array(integer.utf8) + Array(fraction.utf8) {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int128(c - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = a
        }
        self.init(significand: negative ? -value : value, scale: fraction.utf8.count)
    }

    public var description: String {
        let magnitude = significand.magnitude
        var digits = String(magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return significand < 0 ? "-" + digits : digits
    }
}

