import BigInt
import Dates

/// How a loan's principal is repaid.
public enum Amortization: String, Sendable, CaseIterable, Codable {
    case levelPayment = "level-payment"
    case levelPrincipal = "level-principal"
    case bullet
}

/// How often payments fall.
public enum Frequency: String, Sendable, CaseIterable, Codable {
    case monthly, quarterly, semiannual, annual

    public var months: Int {
        switch self {
        case .monthly: 1
        case .quarterly: 3
        case .semiannual: 6
        case .annual: 12
        }
    }
    public var perYear: Int { 12 / months }
}

/// A repayment schedule on an amount (DESIGN.md §4), every figure in minor units.
public struct Schedule: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var n: Int
        public var date: CivilDate
        public var payment: Int64
        public var interest: Int64
        public var principal: Int64
        /// Principal outstanding after this payment.
        public var balance: Int64

        public init(n: Int, date: CivilDate, payment: Int64, interest: Int64, principal: Int64, balance: Int64) {
            self.n = n
            self.date = date
            self.payment = payment
            self.interest = interest
            self.principal = principal
            self.balance = balance
        }
    }

    /// The level payment (level-payment amortization only).
    public var payment: Int64?
    public var rows: [Row]

    public init(payment: Int64?, rows: [Row]) {
        self.payment = payment
        self.rows = rows
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case invalid(String)
        case overflow(String)

        public var description: String {
            switch self {
            case .invalid(let reason): "no schedule: \(reason)"
            case .overflow(let what): "the schedule overflows 64-bit minor units: \(what)"
            }
        }
    }

    /// Payment dates: `firstPayment` plus k periods, the day clipped to the month's end (a first
    /// payment on a month end keeps every date on month ends); `maturity` is the last date, even
    /// off the grid (a short final period).
    public static func dates(firstPayment: CivilDate, maturity: CivilDate, frequency: Frequency) -> [CivilDate] {
        var dates: [CivilDate] = []
        var k = 0
        while true {
            let d = firstPayment.adding(months: k * frequency.months, keepingMonthEnd: true)
            if d > maturity { break }
            dates.append(d)
            k += 1
        }
        if dates.last != maturity { dates.append(maturity) }
        return dates
    }

    /// The schedule on `principal` at an annual `rate` (payments use `rate / payments per year`).
    public static func make(
        principal: Int64, rate: ExactDecimal, frequency: Frequency, amortization: Amortization,
        firstPayment: CivilDate, maturity: CivilDate, graceMonths: Int
    ) throws(Failure) -> Schedule {
        guard principal > 0 else { throw .invalid("the amount must be positive") }
        guard firstPayment <= maturity else { throw .invalid("the first payment \(firstPayment) is after maturity \(maturity)") }
        guard graceMonths >= 0 else { throw .invalid("grace months cannot be negative") }
        guard rate >= ExactDecimal(significand: 0, scale: 0) else { throw .invalid("the rate cannot be negative") }
        let dates = Self.dates(firstPayment: firstPayment, maturity: maturity, frequency: frequency)
        let graceEnd = firstPayment.adding(months: graceMonths, keepingMonthEnd: true)
        let g = dates.filter { $0 < graceEnd }.count
        let n = dates.count
        guard g < n else { throw .invalid("the grace period (\(graceMonths) months) covers every payment date") }
        let i = Rational(rate) / Rational(frequency.perYear)
        let amortizing = n - g

        func round(_ r: Rational) throws(Failure) -> Int64 {
            do { return try r.roundedHalfAwayFromZero() } catch { throw .overflow("\(r)") }
        }
        var level: Int64?
        switch amortization {
        case .levelPayment:
            if i == .zero {
                level = try round(Rational(principal) / Rational(amortizing))
            } else {
                // P·i / (1 − (1+i)^−m) = P·i·(1+i)^m / ((1+i)^m − 1), exactly.
                let growth = (Rational.one + i).power(amortizing)
                level = try round(Rational(principal) * i * growth / (growth - .one))
            }
        case .levelPrincipal, .bullet: level = nil
        }
        let levelPrincipal = try round(Rational(principal) / Rational(amortizing))

        var rows: [Row] = []
        var balance = principal
        for (k, date) in dates.enumerated() {
            let interest = try round(Rational(balance) * i)
            var principalPart: Int64
            if k < g {
                principalPart = 0
            } else if k == n - 1 {
                principalPart = balance
            } else {
                switch amortization {
                case .levelPayment: principalPart = level! - interest
                case .levelPrincipal: principalPart = levelPrincipal
                case .bullet: principalPart = 0
                }
                principalPart = min(max(principalPart, 0), balance)
            }
            balance -= principalPart
            let (payment, overflow) = interest.addingReportingOverflow(principalPart)
            guard !overflow else { throw .overflow("payment \(k + 1)") }
            rows.append(Row(n: k + 1, date: date, payment: payment, interest: interest, principal: principalPart, balance: balance))
        }
        return Schedule(payment: level, rows: rows)
    }
}
