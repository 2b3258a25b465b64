/// An exact decimal number, `significand × 10^-scale`, for rates and FX: never binary floating point.
///
/// Parses `5.25%` (percent) and `0.0525` to the same value. At most 19 integer digits and 18
/// fraction digits, so that any two values compare and multiply exactly in 128 bits.
public struct ExactDecimal: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let significand: Int128
    public let scale: Int

    public init(significand: Int128, scale: Int) {
        precondition(scale >= 0 && scale <= ExactDecimal.scaleMax)
        self.significand = significand
        self.scale = scale
    }

    /// Parses `-0.0525`, `42`, `5.25%` (divided by 100 exactly). Refuses exponents, `+`, commas,
    /// spaces and a point without a digit on each side.
    public init?(_ text: String) {
        var body = Substring(text)
        var percent = false
        if body.last == "%" {
            percent = true
            body = body.dropLast()
        }
        guard let (negative, whole, fraction) = DecimalText.split(body), whole.count <= 19 else { return nil }
        let scale = fraction.count + (percent ? 2 : 0)
        guard scale <= ExactDecimal.scaleMax else { return nil }
        var value: Int128 = 0
        for c in (whole + fraction).utf8 { value = value * 10 + Int128(c - UInt8(ascii: "0")) }
        self.init(significand: negative ? -value : value, scale: scale)
    }

    /// The same value with trailing fraction zeros removed: `0.0500` → `0.05`.
    public var normalized: ExactDecimal {
        var s = significand
        var k = scale
        while k > 0, s % 10 == 0 {
            s /= 10
            k -= 1
        }
        return ExactDecimal(significand: s, scale: k)
    }

    /// The exact sum; an error if it needs more than 18 fraction digits' worth of 128 bits.
    public func adding(_ other: ExactDecimal) throws(MoneyError) -> ExactDecimal {
        let scale = max(self.scale, other.scale)
        let (sum, overflow) = (significand * pow10(scale - self.scale)).addingReportingOverflow(other.significand * pow10(scale - other.scale))
        guard !overflow else { throw .overflow(operation: "\(self) + \(other)") }
        return ExactDecimal(significand: sum, scale: scale)
    }

    /// The most fraction digits a value may have.
    public static let scaleMax = 18

    public var description: String {
        DecimalText.format(magnitude: significand.magnitude, negative: significand < 0, scale: scale)
    }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) == 0 }
    public func hash(into hasher: inout Hasher) {
        let n = normalized
        hasher.combine(n.significand)
        hasher.combine(n.scale)
    }
    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) < 0 }

    private static func compare(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        // |significand| < 10^37 and scales ≤ 18, so scaling either to the other's scale fits in Int128.
        let scale = max(a.scale, b.scale)
        let x = a.significand * pow10(scale - a.scale)
        let y = b.significand * pow10(scale - b.scale)
        return x < y ? -1 : x > y ? 1 : 0
    }
}

func pow10(_ n: Int) -> Int128 {
    var v: Int128 = 1
    for _ in 0..<n { v *= 10 }
    return v
}
