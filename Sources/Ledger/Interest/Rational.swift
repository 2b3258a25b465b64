import BigInt

/// An exact fraction, always reduced, with a positive denominator: interest is summed in these and
/// rounded once. Arbitrary precision, so `(1 + i)^360` is exact too.
public struct Rational: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let numerator: BigInt
    public let denominator: BigInt

    public init(_ numerator: BigInt, _ denominator: BigInt = 1) {
        precondition(denominator != 0, "a rational with denominator 0")
        let g = numerator.greatestCommonDivisor(with: denominator)
        let sign: BigInt = denominator < 0 ? -1 : 1
        self.numerator = sign * numerator / (g == 0 ? 1 : g)
        self.denominator = sign * denominator / (g == 0 ? 1 : g)
    }

    public init(_ value: Int) { self.init(BigInt(value)) }
    public init(_ value: Int64) { self.init(BigInt(value)) }

    public init(_ decimal: ExactDecimal) {
        self.init(BigInt(decimal.significand), BigInt(10).power(decimal.scale))
    }

    public static let zero = Rational(BigInt(0))
    public static let one = Rational(BigInt(1))

    public static func + (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func - (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator - b.numerator * a.denominator, a.denominator * b.denominator)
    }
    public static func * (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.numerator, a.denominator * b.denominator)
    }
    public static func / (a: Rational, b: Rational) -> Rational {
        precondition(b.numerator != 0, "division by zero")
        return Rational(a.numerator * b.denominator, a.denominator * b.numerator)
    }
    public static func += (a: inout Rational, b: Rational) { a = a + b }

    public func power(_ n: Int) -> Rational { Rational(numerator.power(n), denominator.power(n)) }

    public static func < (a: Rational, b: Rational) -> Bool { a.numerator * b.denominator < b.numerator * a.denominator }

    /// Rounded half away from zero to an integer; an error if it does not fit 64 bits.
    public func roundedHalfAwayFromZero() throws(MoneyError) -> Int64 {
        let twice = numerator.magnitude * 2 + denominator.magnitude
        let magnitude = twice / (denominator.magnitude * 2)
        guard let value = Int64(exactly: BigInt(magnitude)) else { throw .overflow(operation: "rounding \(self)") }
        return numerator < 0 ? -value : value
    }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}
