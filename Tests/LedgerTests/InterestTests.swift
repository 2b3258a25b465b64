// Proves the interest engine against DOMAIN.md §8 exactly, and hundreds of generated accruals
// against an independent day-by-day computation in exact fractions.
import BigInt
import Dates
import Ledger
import Testing

private func D(_ s: String) -> CivilDate { CivilDate(iso: s)! }
private func rate(_ s: String) -> ExactDecimal { ExactDecimal(s)! }

/// `value` to `places` decimals, half away from zero, as text.
private func decimal(_ r: Rational, places: Int) -> String {
    let scaled = r * Rational(BigInt(10).power(places))
    let n = try! scaled.roundedHalfAwayFromZero()
    var digits = String(n.magnitude)
    if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
    digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -places))
    return (n < 0 ? "-" : "") + digits
}

@Suite struct DayCountTests {
    @Test(arguments: [
        ("2024-01-15", "2024-02-15", ["0.0861111111", "0.0849315068", "0.0833333333", "0.0833333333"]),
        ("2023-02-28", "2023-03-31", ["0.0861111111", "0.0849315068", "0.0916666667", "0.0888888889"]),
        ("2024-01-31", "2024-02-29", ["0.0805555556", "0.0794520548", "0.0805555556", "0.0805555556"]),
    ])
    func domainTable(from: String, to: String, expected: [String]) {
        let conventions: [DayCount] = [.act360, .act365f, .thirty360, .thirtyE360]
        #expect(conventions.map { decimal($0.yearFraction(from: D(from), to: D(to)), places: 10) } == expected)
    }

    @Test func actActISDA() {
        let a = DayCount.actActISDA.yearFraction(from: D("2023-12-15"), to: D("2024-01-15"))
        #expect(a == Rational(17) / Rational(365) + Rational(14) / Rational(366))
        #expect(decimal(a, places: 10) == "0.0848267086")
        #expect(decimal(DayCount.actActISDA.yearFraction(from: D("2024-02-10"), to: D("2024-03-10")), places: 10) == "0.0792349727")
    }

    @Test func act365IsAmbiguous() {
        #expect(DayCount.refusal("act-365")?.contains("ambiguous") == true)
        #expect(DayCount.refusal("act-365f") == nil)
        #expect(DayCount.refusal("actual")?.contains("act-360, act-365f, 30-360, 30e-360, act-act-isda") == true)
    }
}

@Suite struct AccrualTests {
    @Test func oneMonthOnAMillion() throws {
        let result = try Accrual.accrue(
            principal: [Step(D("2024-01-15"), 100_000_000)], rates: [Step(D("2020-01-01"), rate("7.25%"))], dayCount: .act360,
            from: D("2024-01-15"), to: D("2024-02-15"))
        #expect(result.amount == 624_306, "6243.06")
        #expect(result.runs.map(\.start) == [D("2024-01-15"), D("2024-02-01")], "split at the month start")
    }

    @Test func thirty360CountsThirtyPlusOneWhenPrincipalChangesOnThe31st() throws {
        let flat = try Accrual.accrue(
            principal: [Step(D("2026-01-01"), 36_000_000)], rates: [Step(D("2026-01-01"), rate("0.10"))], dayCount: .thirty360,
            from: D("2026-01-01"), to: D("2026-02-01"))
        #expect(flat.exact == Rational(36_000_000) * Rational(1) / Rational(10) * Rational(30) / Rational(360))
        let changed = try Accrual.accrue(
            principal: [Step(D("2026-01-01"), 36_000_000), Step(D("2026-01-31"), 72_000_000)], rates: [Step(D("2026-01-01"), rate("0.10"))],
            dayCount: .thirty360, from: D("2026-01-01"), to: D("2026-02-01"))
        // 30 days on the first principal, then 1 day (the 31st) on the second.
        #expect(changed.amount == 300_000 + 20_000)
    }

    @Test func noPrincipalAccruesNothingAndAMissingRateIsNamed() throws {
        #expect(try Accrual.accrue(principal: [], rates: [], dayCount: .act360, from: D("2026-01-01"), to: D("2026-02-01")).amount == 0)
        #expect(throws: Accrual.Failure.noRate(on: D("2026-01-10"))) {
            try Accrual.accrue(principal: [Step(D("2026-01-10"), 100)], rates: [Step(D("2026-01-20"), rate("0.05"))], dayCount: .act360, from: D("2026-01-01"), to: D("2026-02-01"))
        }
    }

    /// An exact fraction written for this test alone (not the engine's Rational).
    struct Fraction {
        var n: BigInt = 0
        var d: BigInt = 1
        mutating func add(_ num: BigInt, _ den: BigInt) {
            n = n * den + num * d
            d = d * den
        }
        /// Half away from zero.
        var rounded: Int64 {
            let q = (n.magnitude * 2 + d.magnitude) / (d.magnitude * 2)
            return Int64(n < 0 ? -BigInt(q) : BigInt(q))
        }
    }

    /// The independent computation: walk the period day by day; additive conventions weigh each
    /// day (1/360, 1/365, 1/days-in-its-year); the 30/360 family applies its formula to each run of
    /// days with the same principal, rate and month.
    func independent(principal: [(CivilDate, Int64)], rates: [(CivilDate, ExactDecimal)], dayCount: DayCount, from: CivilDate, to: CivilDate) -> Int64 {
        func at<V>(_ steps: [(CivilDate, V)], _ d: CivilDate) -> V? { steps.last { $0.0 <= d }?.1 }
        var sum = Fraction()
        var runStart = from
        var day = from
        while day < to {
            let next = CivilDate(daysSinceEpoch: day.daysSinceEpoch + 1)
            let p = BigInt(at(principal, day) ?? 0)
            let r = at(rates, day)!
            let rn = BigInt(r.significand)
            let rd = BigInt(10).power(r.scale)
            switch dayCount {
            case .act360: sum.add(p * rn, rd * 360)
            case .act365f: sum.add(p * rn, rd * 365)
            case .actActISDA: sum.add(p * rn, rd * BigInt(CivilDate.isLeapYear(day.year) ? 366 : 365))
            case .thirty360, .thirtyE360:
                // Close the run when tomorrow differs in principal, rate or month, or ends the period.
                let ends = next == to || next.month != day.month || at(principal, next) != at(principal, day) || at(rates, next) != at(rates, day)
                if ends {
                    var d1 = runStart.day
                    var d2 = next.day
                    if dayCount == .thirty360 {
                        if d1 == 31 { d1 = 30 }
                        if d2 == 31 && d1 >= 30 { d2 = 30 }
                    } else {
                        d1 = min(d1, 30)
                        d2 = min(d2, 30)
                    }
                    let days = 360 * (next.year - runStart.year) + 30 * (next.month - runStart.month) + d2 - d1
                    sum.add(p * rn * BigInt(days), rd * 360)
                    runStart = next
                }
            }
            day = next
        }
        return sum.rounded
    }

    @Test func generatedCasesMatchAnIndependentComputation() throws {
        var seed: UInt64 = 0x5EED_2026
        func random(_ range: ClosedRange<Int>) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return range.lowerBound + Int((seed >> 33) % UInt64(range.count))
        }
        var checked = 0
        for _ in 0..<400 {
            let from = CivilDate(daysSinceEpoch: D("2023-01-01").daysSinceEpoch + random(0...1200))
            let to = CivilDate(daysSinceEpoch: from.daysSinceEpoch + random(1...120))
            var principal: [(CivilDate, Int64)] = [(from, Int64(random(1...2_000_000_000)) * 100)]
            var rates: [(CivilDate, ExactDecimal)] = [(from, ExactDecimal(significand: Int128(random(0...150_000)), scale: 6))]
            for _ in 0..<random(0...5) {
                let d = CivilDate(daysSinceEpoch: from.daysSinceEpoch + random(0...(to.daysSinceEpoch - from.daysSinceEpoch)))
                if random(0...1) == 0 {
                    principal.append((d, Int64(random(0...3_000_000_000)) * 7))
                } else {
                    rates.append((d, ExactDecimal(significand: Int128(random(0...9_999)), scale: 4)))
                }
            }
            principal.sort { $0.0 < $1.0 }
            rates.sort { $0.0 < $1.0 }
            for dayCount in DayCount.allCases {
                let engine = try Accrual.accrue(
                    principal: principal.map { Step($0.0, $0.1) }, rates: rates.map { Step($0.0, $0.1) }, dayCount: dayCount, from: from, to: to)
                let expected = independent(principal: principal, rates: rates, dayCount: dayCount, from: from, to: to)
                #expect(engine.amount == expected, "\(dayCount) \(from)→\(to) \(principal) \(rates)")
                checked += 1
            }
        }
        #expect(checked == 2000)
    }
}

@Suite struct ScheduleTests {
    @Test func levelPaymentOfTheDomainExample() throws {
        let s = try Schedule.make(
            principal: 25_000_000, rate: rate("6%"), frequency: .monthly, amortization: .levelPayment,
            firstPayment: D("2026-01-31"), maturity: D("2026-12-31"), graceMonths: 0)
        #expect(s.payment == 2_151_661)
        #expect(s.rows.count == 12)
        #expect(s.rows[0].interest == 125_000 && s.rows[0].principal == 2_026_661)
        #expect(s.rows.map(\.date).map(\.day) == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], "month ends stay month ends")
        #expect(s.rows.last?.balance == 0)
        #expect(s.rows.reduce(0) { $0 + $1.principal } == 25_000_000)
        #expect(s.rows.dropLast().allSatisfy { $0.payment == 2_151_661 })
    }

    @Test func graceThenLevelPrincipalWithAShortFinalPeriod() throws {
        let s = try Schedule.make(
            principal: 1_000_000, rate: rate("0.12"), frequency: .quarterly, amortization: .levelPrincipal,
            firstPayment: D("2026-03-15"), maturity: D("2027-05-01"), graceMonths: 6)
        #expect(s.payment == nil)
        #expect(s.rows.map(\.date.description) == ["2026-03-15", "2026-06-15", "2026-09-15", "2026-12-15", "2027-03-15", "2027-05-01"])
        #expect(s.rows.prefix(2).allSatisfy { $0.principal == 0 && $0.interest == 30_000 && $0.balance == 1_000_000 }, "interest only")
        #expect(s.rows.dropFirst(2).dropLast().allSatisfy { $0.principal == 250_000 })
        #expect(s.rows.last?.balance == 0 && s.rows.last?.principal == 250_000)
    }

    @Test func bulletAndRefusals() throws {
        let s = try Schedule.make(
            principal: 500_000, rate: rate("5%"), frequency: .annual, amortization: .bullet,
            firstPayment: D("2027-06-30"), maturity: D("2029-06-30"), graceMonths: 0)
        #expect(s.rows.map(\.payment) == [25_000, 25_000, 525_000])
        #expect(throws: Schedule.Failure.self) {
            try Schedule.make(principal: 1, rate: rate("1%"), frequency: .annual, amortization: .bullet, firstPayment: D("2027-01-01"), maturity: D("2026-01-01"), graceMonths: 0)
        }
        #expect(throws: Schedule.Failure.self) {
            try Schedule.make(principal: 1, rate: rate("1%"), frequency: .annual, amortization: .bullet, firstPayment: D("2026-01-01"), maturity: D("2027-01-01"), graceMonths: 24)
        }
    }
}
