import Dates

/// A value that holds from a date on (until the next one): principal outstanding, or a rate.
public struct Step<Value: Sendable & Hashable>: Sendable, Hashable {
    public var date: CivilDate
    public var value: Value

    public init(_ date: CivilDate, _ value: Value) {
        self.date = date
        self.value = value
    }
}

/// Interest accrual (DESIGN.md §4): over [from, to), split into maximal runs where principal and
/// rate are constant (and at month starts), each run's `P × r × yearFraction` summed exactly, then
/// rounded once, half away from zero, to the minor unit.
public enum Accrual {
    /// The month-end accrual's event key (DESIGN.md §4): `accrual:<facility>:<YYYY-MM>`.
    public static func eventKey(facility: String, month: YearMonth) -> String { "accrual:\(facility):\(month)" }

    public struct Run: Sendable, Hashable {
        public var start: CivilDate
        public var end: CivilDate
        public var principal: Int64
        public var rate: ExactDecimal
        public var interest: Rational
    }

    public struct Result: Sendable, Hashable {
        /// Interest in minor units, rounded once.
        public var amount: Int64
        /// The exact sum before rounding.
        public var exact: Rational
        public var runs: [Run]
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// No rate is known on a day that carries principal.
        case noRate(on: CivilDate)
        case overflow(String)

        public var description: String {
            switch self {
            case .noRate(let d): "no interest rate is known on \(d) (import a rate reset on or before it)"
            case .overflow(let what): "interest overflows 64-bit minor units: \(what)"
            }
        }
    }

    /// Accrues over [from, to). `principal` and `rates` are step functions sorted by date: the value
    /// on day d is the last step dated on or before d (no step: principal 0, rate unknown).
    public static func accrue(
        principal: [Step<Int64>], rates: [Step<ExactDecimal>], dayCount: DayCount, from: CivilDate, to: CivilDate
    ) throws(Failure) -> Result {
        guard from < to else { return Result(amount: 0, exact: .zero, runs: []) }
        var cuts: Set<CivilDate> = [from, to]
        for step in principal where step.date > from && step.date < to { cuts.insert(step.date) }
        for step in rates where step.date > from && step.date < to { cuts.insert(step.date) }
        var month = YearMonth(from)
        while true {
            month = month.next
            guard month.firstDay < to else { break }
            cuts.insert(month.firstDay)
        }
        let bounds = cuts.sorted()
        var runs: [Run] = []
        var total = Rational.zero
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            let p = value(of: principal, on: start) ?? 0
            guard p != 0 else { continue }
            guard let r = value(of: rates, on: start) else { throw .noRate(on: start) }
            let interest = Rational(p) * Rational(r) * dayCount.yearFraction(from: start, to: end)
            // Merge with the previous run when nothing changed but the month (for the record only;
            // the interest stays per run, as the year basis may differ).
            runs.append(Run(start: start, end: end, principal: p, rate: r, interest: interest))
            total += interest
        }
        let amount: Int64
        do { amount = try total.roundedHalfAwayFromZero() } catch { throw .overflow("\(total)") }
        return Result(amount: amount, exact: total, runs: runs)
    }

    /// The value of a step function on `day`: its last step on or before it.
    public static func value<V>(of steps: [Step<V>], on day: CivilDate) -> V? {
        // The last step on or before the day wins (steps are few: a linear scan).
        var found: V?
        for step in steps {
            if step.date <= day { found = step.value } else { break }
        }
        return found
    }
}
