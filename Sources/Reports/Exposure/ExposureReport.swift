import Dates
import Ledger

/// The dimensions the exposure report rolls up by (`--by`).
public enum ExposureDimension: String, Sendable, CaseIterable {
    case facility, country, mineral, instrument, authority, cohort, currency

    /// The group a facility counts in: its primary mineral, its cohort's fiscal year.
    func key(_ f: Facility) -> String {
        switch self {
        case .facility: f.id
        case .country: f.country
        case .mineral: f.minerals.first ?? ""
        case .instrument: f.instrument.rawValue
        case .authority: f.authority.rawValue
        case .cohort: "FY\(f.cohortFY)"
        case .currency: f.currency.code
        }
    }
}

/// A USD amount in minor units, written as a decimal string with two places ("37500000.00").
public struct USD: Encodable, Sendable, Hashable, Comparable {
    public var minorUnits: Int64
    public init(_ minorUnits: Int64) { self.minorUnits = minorUnits }
    public static func < (a: USD, b: USD) -> Bool { a.minorUnits < b.minorUnits }
    public static func + (a: USD, b: USD) -> USD { USD(a.minorUnits + b.minorUnits) }
    public static let zero = USD(0)
    /// "37500000.00": JSON and CSV.
    public var plain: String { Money(minorUnits: minorUnits, currency: .usd).formatted }
    /// "37,500,000.00": tables and HTML.
    public var grouped: String { Grouping.grouped(plain) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(plain)
    }
}

/// Thousands separators for a decimal string, for people (never in CSV or JSON).
public enum Grouping {
    /// "-1234567.50" → "-1,234,567.50".
    public static func grouped(_ plain: String) -> String {
        let negative = plain.hasPrefix("-")
        let body = negative ? plain.dropFirst() : Substring(plain)
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var whole = Array(parts[0])
        var out: [Character] = []
        while whole.count > 3 {
            out.insert(contentsOf: [","] + whole.suffix(3), at: 0)
            whole.removeLast(3)
        }
        out.insert(contentsOf: whole, at: 0)
        return (negative ? "-" : "") + String(out) + (parts.count == 2 ? "." + parts[1] : "")
    }
}

/// The monthly exposure report (DOMAIN.md §2 and §5; the JSON shape of DESIGN.md §5): one row per
/// facility in USD at the month-end rate, roll-ups, totals, and the limits on the month's last day.
///
/// Pure: `ExposureReport.build` takes the books as read and returns the report; renderers only
/// format what is here.
public struct ExposureReport: SnakeCaseKeys, Sendable, Equatable {
    /// The amount columns of a facility row and of the totals, in USD.
    public struct Amounts: Encodable, Sendable, Equatable {
        public var obligated = USD.zero
        public var deobligated = USD.zero
        public var disbursed = USD.zero
        public var disbursedInMonth = USD.zero
        public var repaid = USD.zero
        public var outstandingPrincipal = USD.zero
        public var undisbursed = USD.zero
        public var accruedInterest = USD.zero
        public var guaranteeOutstanding = USD.zero
        public var equityCost = USD.zero
        public var equityFairValue = USD.zero
        public var exposure = USD.zero
        public var change = USD.zero

        /// Every column with its JSON name, in the report's order.
        public var columns: [(name: String, value: USD)] {
            let values: [(CodingKeys, USD)] = [
                (.obligated, obligated), (.deobligated, deobligated), (.disbursed, disbursed), (.disbursedInMonth, disbursedInMonth),
                (.repaid, repaid), (.outstandingPrincipal, outstandingPrincipal), (.undisbursed, undisbursed),
                (.accruedInterest, accruedInterest), (.guaranteeOutstanding, guaranteeOutstanding), (.equityCost, equityCost),
                (.equityFairValue, equityFairValue), (.exposure, exposure), (.change, change),
            ]
            return values.map { (name: $0.0.rawValue, value: $0.1) }
        }

        enum CodingKeys: String, CodingKey {
            case obligated, deobligated, disbursed, disbursedInMonth = "disbursed_in_month", repaid, outstandingPrincipal = "outstanding_principal"
            case undisbursed, accruedInterest = "accrued_interest", guaranteeOutstanding = "guarantee_outstanding", equityCost = "equity_cost"
            case equityFairValue = "equity_fair_value", exposure, change
        }

        static func + (a: Amounts, b: Amounts) -> Amounts {
            Amounts(
                obligated: a.obligated + b.obligated, deobligated: a.deobligated + b.deobligated, disbursed: a.disbursed + b.disbursed,
                disbursedInMonth: a.disbursedInMonth + b.disbursedInMonth, repaid: a.repaid + b.repaid,
                outstandingPrincipal: a.outstandingPrincipal + b.outstandingPrincipal, undisbursed: a.undisbursed + b.undisbursed,
                accruedInterest: a.accruedInterest + b.accruedInterest, guaranteeOutstanding: a.guaranteeOutstanding + b.guaranteeOutstanding,
                equityCost: a.equityCost + b.equityCost, equityFairValue: a.equityFairValue + b.equityFairValue, exposure: a.exposure + b.exposure,
                change: a.change + b.change)
        }
    }

    public struct FacilityRow: Encodable, Sendable, Equatable {
        public var facilityId: String
        public var name: String
        public var instrument: String
        public var authority: String
        public var country: String
        public var minerals: [String]
        public var cohortFy: Int
        public var currency: String
        /// USD per unit as imported; "1" for USD.
        public var fxRate: String
        public var amounts: Amounts
        public var share: String
        /// Abnormal balances, in words.
        public var flags: [String]

        enum CodingKeys: String, CodingKey {
            case facilityId = "facility_id", name, instrument, authority, country, minerals, cohortFy = "cohort_fy", currency, fxRate = "fx_rate", share, flags
        }

        public func encode(to encoder: any Encoder) throws {
            try amounts.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(facilityId, forKey: .facilityId)
            try c.encode(name, forKey: .name)
            try c.encode(instrument, forKey: .instrument)
            try c.encode(authority, forKey: .authority)
            try c.encode(country, forKey: .country)
            try c.encode(minerals, forKey: .minerals)
            try c.encode(cohortFy, forKey: .cohortFy)
            try c.encode(currency, forKey: .currency)
            try c.encode(fxRate, forKey: .fxRate)
            try c.encode(share, forKey: .share)
            try c.encode(flags, forKey: .flags)
        }
    }

    public struct Group: Encodable, Sendable, Equatable {
        public var key: String
        public var exposure: USD
        public var share: String
    }

    public struct LimitRow: Encodable, Sendable, Equatable {
        public var limit: String
        public var cap: USD
        public var used: USD
        public var utilization: String
        public var status: String
        public var severity: String
    }

    /// One month end of the trend: the total exposure then.
    public struct TrendPoint: Encodable, Sendable, Equatable {
        public var month: String
        public var exposure: USD
    }

    public var month: String
    /// "FY2027 P01" for October 2026.
    public var fiscalPeriod: String
    public var asOf: String
    @NullWhenAbsent public var knownAt: String?
    public var reportingCurrency = "USD"
    public var facilities: [FacilityRow]
    public var groups: [String: [Group]]
    public var totals: Amounts
    public var limits: [LimitRow]
    /// The dimensions of `groups`, in the order asked.
    public var dimensions: [ExposureDimension]
    /// The total exposure at the 12 month ends up to the report's month, when asked for (HTML).
    public var trend: [TrendPoint]?
    /// Disbursements awaiting certification, dated by the month's end (none: the key is left out).
    public var pendingCertification: [PendingCertification]?

    enum CodingKeys: String, CodingKey {
        case month, fiscalPeriod = "fiscal_period", asOf = "as_of", knownAt = "known_at", reportingCurrency = "reporting_currency", facilities, groups
        case totals, limits, trend, pendingCertification = "pending_certification"
    }

    /// The report for `month` from `books` (which must hold the figures at this month's end and
    /// the previous one's, and at the trend's month ends when `trendMonths` > 0: `monthsRead`).
    public static func build(
        month: YearMonth, knownAt: Instant?, books: ExposureBooks, dimensions: [ExposureDimension] = ExposureDimension.allCases, trendMonths: Int = 0
    ) throws(LedgerError) -> ExposureReport {
        let end = month.lastDay
        let current = books.figures[end] ?? [:]
        let previous = books.figures[month.previous.lastDay] ?? [:]
        let previousExposure = try exposures(at: month.previous, books: books)

        var rows: [FacilityRow] = []
        for f in books.facilities {
            let now = current[f.id] ?? FacilityFigures()
            let before = previous[f.id] ?? FacilityFigures()
            let rate = try rate(f, on: end, books: books)
            func usd(_ native: Int64) -> USD { USD(Limits.usd(native, currency: f.currency, usdPerUnit: rate)!) }
            let c = now.components(f.instrument)
            let exposure = usd(c.exposure)
            let amounts = Amounts(
                obligated: usd(c.obligated), deobligated: usd(c.deobligated), disbursed: usd(c.disbursed),
                disbursedInMonth: usd(c.disbursed - before.position.disbursed), repaid: usd(c.repaid),
                outstandingPrincipal: usd(c.outstandingPrincipal), undisbursed: usd(c.undisbursed), accruedInterest: usd(c.accruedInterest),
                guaranteeOutstanding: usd(c.guaranteeOutstanding), equityCost: usd(c.equityCost), equityFairValue: usd(c.equityFairValue),
                exposure: exposure, change: USD(exposure.minorUnits - (previousExposure[f.id] ?? 0)))
            rows.append(
                FacilityRow(
                    facilityId: f.id, name: f.name, instrument: f.instrument.rawValue, authority: f.authority.rawValue, country: f.country,
                    minerals: f.minerals, cohortFy: f.cohortFY, currency: f.currency.code, fxRate: rate?.description ?? "1", amounts: amounts,
                    share: "", flags: flags(now.position)))
        }
        let totals = rows.reduce(Amounts()) { $0 + $1.amounts }
        for i in rows.indices { rows[i].share = share(rows[i].amounts.exposure, of: totals.exposure) }

        // The limits by the same code as `report limits` and the business rules.
        let positions = current.mapValues(\.position)
        let statuses = try Limits.standing(on: end, facilities: books.facilities, positions: positions, fxRates: books.fxRates, configs: books.limitConfigs)
        let limits = statuses.map {
            LimitRow(
                limit: $0.kind == .mcl ? "mcl" : $0.limit, cap: USD($0.cap), used: USD($0.used), utilization: $0.utilization, status: $0.state.rawValue,
                severity: $0.severity.rawValue)
        }
        // DPA §302: a shortfall over the notice threshold is flagged on each of its facilities.
        let overShortfalls = Set(statuses.filter { $0.kind == .dpa302Shortfall && $0.state != .ok }.map { $0.limit.split(separator: ":", maxSplits: 1).last.map(String.init) ?? "" })
        for (i, f) in books.facilities.enumerated() where f.authority == .dpa302 && overShortfalls.contains(f.shortfall) {
            rows[i].flags.append("DPA §302 shortfall over the notice threshold (50 U.S.C. 4532)")
        }

        var groups: [String: [Group]] = [:]
        for d in dimensions {
            var sums: [String: Int64] = [:]
            for (f, row) in zip(books.facilities, rows) { sums[d.key(f), default: 0] += row.amounts.exposure.minorUnits }
            groups[d.rawValue] = sums.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                Group(key: $0.key, exposure: USD($0.value), share: share(USD($0.value), of: totals.exposure))
            }
        }

        var trend: [TrendPoint]?
        if trendMonths > 0 {
            trend = try (0..<trendMonths).reversed().map { back throws(LedgerError) in
                let m = month.adding(months: -back)
                return TrendPoint(month: m.description, exposure: USD(try exposures(at: m, books: books).values.reduce(0, +)))
            }
        }
        return ExposureReport(
            month: month.description, fiscalPeriod: fiscalPeriod(month), asOf: end.description, knownAt: knownAt?.description, facilities: rows,
            groups: groups, totals: totals, limits: limits, dimensions: dimensions, trend: trend,
            pendingCertification: try PendingCertification.rows(books.pending, facilities: books.facilities) { f throws(LedgerError) in try rate(f, on: end, books: books) })
    }

    /// The month ends whose figures `build` reads: this month's, the previous one's, and the
    /// trend's.
    public static func monthsRead(for month: YearMonth, trendMonths: Int) -> [YearMonth] {
        Array(Set([month, month.previous] + (0..<trendMonths).map { month.adding(months: -$0) })).sorted()
    }

    /// Each facility's exposure in USD at `month`'s end, at that month end's rate.
    static func exposures(at month: YearMonth, books: ExposureBooks) throws(LedgerError) -> [String: Int64] {
        let figures = books.figures[month.lastDay] ?? [:]
        let rows = try Limits.exposureRows(
            on: month.lastDay, facilities: books.facilities, positions: figures.mapValues(\.position), fxRates: books.fxRates)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.facilityID, $0.exposure) })
    }

    /// The facility's month-end rate: nil for USD; a missing one is an error, never a zero.
    static func rate(_ f: Facility, on date: CivilDate, books: ExposureBooks) throws(LedgerError) -> ExactDecimal? {
        guard f.currency.code != "USD" else { return nil }
        guard let rate = Accrual.value(of: books.fxRates[f.currency.code] ?? [], on: date) else {
            throw .missingFXRate(currency: f.currency.code, date: date, facilityID: f.id)
        }
        return rate
    }

    /// Balances that should not be: flagged, never refused (DOMAIN.md §4).
    static func flags(_ p: FacilityPosition) -> [String] {
        var flags: [String] = []
        if p.principal < 0 { flags.append("outstanding principal below zero") }
        if p.accruedInterest < 0 { flags.append("accrued interest below zero") }
        if p.guaranteeOutstanding < 0 { flags.append("guarantees outstanding below zero") }
        if p.equityCost < 0 { flags.append("equity at cost below zero") }
        if p.undisbursed < 0 { flags.append("disbursed above net obligation") }
        return flags
    }

    /// part / whole with 4 places, half away from zero; "0.0000" when the whole is zero.
    static func share(_ part: USD, of whole: USD) -> String {
        guard whole.minorUnits != 0 else { return "0.0000" }
        // part × 10,000 / whole in 128-bit integers (no overflow for any Int64 amounts), the
        // remainder deciding the rounding: half away from zero.
        let numerator = Int128(part.minorUnits) * 10_000
        let denominator = Int128(whole.minorUnits)
        var (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        if 2 * remainder.magnitude >= denominator.magnitude { quotient += (numerator < 0) != (denominator < 0) ? -1 : 1 }
        return ExactDecimal(significand: quotient, scale: 4).description
    }

    /// Federal fiscal year (1 October – 30 September) and period: October 2026 = "FY2027 P01".
    public static func fiscalPeriod(_ m: YearMonth) -> String {
        let year = m.month >= 10 ? m.year + 1 : m.year
        let period = (m.month + 2) % 12 + 1
        return "FY\(year) P" + (period < 10 ? "0" : "") + String(period)
    }
}
