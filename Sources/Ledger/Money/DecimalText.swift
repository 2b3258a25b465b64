/// The one place decimal strings are split and built, for `Money` and `ExactDecimal`.
enum DecimalText {
    /// Splits `[-]digits[.digits]` into its sign, whole digits and fraction digits; nil for
    /// anything else (empty parts, exponents, `+`, grouping, spaces, non-ASCII digits).
    static func split(_ text: Substring) -> (negative: Bool, whole: Substring, fraction: Substring)? {
        var body = text
        let negative = body.first == "-"
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, parts.count == 1 || !fraction.isEmpty, isDigits(whole), isDigits(fraction) else { return nil }
        return (negative, whole, fraction)
    }

    /// `magnitude` with a point `scale` digits from the right, zero-padded, and a `-` if negative.
    static func format(magnitude: some BinaryInteger, negative: Bool, scale: Int) -> String {
        var digits = String(magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    private static func isDigits(_ s: Substring) -> Bool {
        s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
