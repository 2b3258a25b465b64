import BigInt
import Dates

/// The kinds of limit of DOMAIN.md §2.
public enum LimitKind: String, Sendable, CaseIterable, Codable {
    /// Maximum contingent liability: total exposure in USD.
    case mcl
    /// Equity exposure as a share of total exposure.
    case equityShare = "equity-share"
    /// DPA §302 net obligations per industrial-resource shortfall.
    case dpa302Shortfall = "dpa302-shortfall"
    /// Concentration: one country's, mineral's or obligor's exposure as a share of the MCL cap.
    case countryShare = "country-share"
    case mineralShare = "mineral-share"
    case obligorShare = "obligor-share"

    public var isAmount: Bool { self == .mcl || self == .dpa302Shortfall }
}

public enum Severity: String, Sendable, CaseIterable, Codable {
    case block, warn
}

/// One dated row of limit configuration.
public struct LimitConfig: Sendable, Hashable {
    public var id: String
    public var effectiveFrom: CivilDate
    public var kind: LimitKind
    /// For concentration limits: the country, mineral or obligor, or `*` for each.
    public var scope: String
    /// USD minor units, for amount limits.
    public var amount: Int64?
    /// For share limits.
    public var share: ExactDecimal?
    public var severity: Severity
    public var note: String

    public init(id: String, effectiveFrom: CivilDate, kind: LimitKind, scope: String = "*", amount: Int64?, share: ExactDecimal?, severity: Severity, note: String = "") {
        self.id = id
        self.effectiveFrom = effectiveFrom
        self.kind = kind
        self.scope = scope
        self.amount = amount
        self.share = share
        self.severity = severity
        self.note = note
    }
}

/// A facility's exposure, in USD, with what the limits group it by.
public struct ExposureRow: Sendable, Hashable {
    public var facilityID: String
    public var instrument: Instrument
    public var authority: Authority
    public var country: String
    public var primaryMineral: String
    public var obligor: String
    public var shortfall: String
    /// Exposure counting toward the MCL, USD minor units.
    public var exposure: Int64
    /// Obligated − deobligated, USD minor units (for the DPA §302 threshold).
    public var netObligation: Int64

    public init(facilityID: String, instrument: Instrument, authority: Authority, country: String, primaryMineral: String, obligor: String, shortfall: String, exposure: Int64, netObligation: Int64) {
        self.facilityID = facilityID
        self.instrument = instrument
        self.authority = authority
        self.country = country
        self.primaryMineral = primaryMineral
        self.obligor = obligor
        self.shortfall = shortfall
        self.exposure = exposure
        self.netObligation = netObligation
    }
}

/// A limit's standing: what it allows, what is used, and whether it is over.
public struct LimitStatus: Sendable, Hashable {
    public enum State: String, Sendable { case ok, warn, breach }
    /// The limit's id, with `:KEY` for one country, mineral, obligor or shortfall.
    public var limit: String
    public var kind: LimitKind
    public var severity: Severity
    /// USD minor units.
    public var cap: Int64
    public var used: Int64
    public var state: State

    /// used / cap, 4 decimal places, half away from zero ("0.1234"); "—" when the cap is 0.
    public var utilization: String {
        guard cap > 0 else { return "-" }
        let scaled = try? (Rational(used) * Rational(10_000) / Rational(cap)).roundedHalfAwayFromZero()
        guard let scaled else { return "-" }
        return DecimalText.format(magnitude: scaled.magnitude, negative: scaled < 0, scale: 4)
    }
}

public enum Limits {
    /// A facility's exposure in its own currency (DOMAIN.md §2): direct loan = principal +
    /// undisbursed; guarantee = guaranteed principal outstanding; equity = cost + undisbursed;
    /// purchase commitment = undisbursed; grant = 0.
    public static func exposure(_ instrument: Instrument, _ p: FacilityPosition) -> Int64 {
        let undisbursed = max(p.undisbursed, 0)
        switch instrument {
        case .directLoan: return max(p.principal, 0) + undisbursed
        case .loanGuarantee: return max(p.guaranteeOutstanding, 0)
        case .equity: return max(p.equityCost, 0) + undisbursed
        case .purchaseCommitment: return undisbursed
        case .grant: return 0
        }
    }

    /// `amount` (minor units of `currency`) in USD minor units at `usdPerUnit`, rounded half away
    /// from zero; nil for a non-USD amount without a rate.
    public static func usd(_ amount: Int64, currency: Currency, usdPerUnit: ExactDecimal?) -> Int64? {
        if currency.code == "USD" { return amount }
        guard let rate = usdPerUnit else { return nil }
        // minor × 10^-digits × rate × 10^2 = USD minor units.
        let value = Rational(amount) * Rational(rate) * Rational(100) / Rational(BigInt(pow10(currency.minorUnits)))
        return try? value.roundedHalfAwayFromZero()
    }

    /// A facility's exposure row in USD at `usdPerUnit` (ignored for a USD facility); nil for a
    /// facility in another currency without a rate. The one place a facility's exposure is
    /// converted: limit checks, `report limits` and the exposure report all come here.
    public static func exposureRow(_ f: Facility, _ p: FacilityPosition, usdPerUnit: ExactDecimal?) -> ExposureRow? {
        guard let exposure = usd(exposure(f.instrument, p), currency: f.currency, usdPerUnit: usdPerUnit),
            let netObligation = usd(p.obligated - p.deobligated, currency: f.currency, usdPerUnit: usdPerUnit)
        else { return nil }
        return ExposureRow(
            facilityID: f.id, instrument: f.instrument, authority: f.authority, country: f.country, primaryMineral: f.minerals.first ?? "",
            obligor: f.counterparty, shortfall: f.shortfall, exposure: exposure, netObligation: netObligation)
    }

    /// Every facility's exposure row in USD on `date`, FX at the latest rate on or before it. A
    /// facility with a position and no rate is refused (never counted as zero); one with nothing
    /// yet counts zero in any currency.
    public static func exposureRows(
        on date: CivilDate, facilities: [Facility], positions: [String: FacilityPosition], fxRates: [String: [Step<ExactDecimal>]]
    ) throws(LedgerError) -> [ExposureRow] {
        var rows: [ExposureRow] = []
        for f in facilities {
            let p = positions[f.id] ?? FacilityPosition()
            let rate = f.currency.code == "USD" ? nil : Accrual.value(of: fxRates[f.currency.code] ?? [], on: date)
            if let row = exposureRow(f, p, usdPerUnit: rate) {
                rows.append(row)
            } else if p == FacilityPosition() {
                rows.append(exposureRow(f, p, usdPerUnit: ExactDecimal(significand: 0, scale: 0))!)
            } else {
                throw .missingFXRate(currency: f.currency.code, date: date, facilityID: f.id)
            }
        }
        return rows
    }

    /// Every limit's standing on `date`: the configuration in effect then over the facilities'
    /// positions then (what `report limits` and the exposure report print).
    public static func standing(
        on date: CivilDate, facilities: [Facility], positions: [String: FacilityPosition], fxRates: [String: [Step<ExactDecimal>]],
        configs: [LimitConfig]
    ) throws(LedgerError) -> [LimitStatus] {
        evaluate(inEffect(configs, on: date), try exposureRows(on: date, facilities: facilities, positions: positions, fxRates: fxRates))
    }

    /// The configuration in effect on `date`: for each limit id, its latest row on or before it.
    public static func inEffect(_ configs: [LimitConfig], on date: CivilDate) -> [LimitConfig] {
        var latest: [String: LimitConfig] = [:]
        for c in configs where c.effectiveFrom <= date {
            if let seen = latest[c.id], seen.effectiveFrom >= c.effectiveFrom { continue }
            latest[c.id] = c
        }
        return latest.values.sorted { $0.id < $1.id }
    }

    /// Every limit's standing over `rows`, with `configs` already those in effect.
    public static func evaluate(_ configs: [LimitConfig], _ rows: [ExposureRow]) -> [LimitStatus] {
        evaluate(configs, ExposureTotals(rows))
    }

    /// Every limit's standing from the sums of the rows. With `row`, only the limits whose use
    /// that row is part of (the caps and totals, its shortfall, country, mineral and obligor):
    /// what an event on that row's facility can change, in time that does not grow with the
    /// number of facilities.
    public static func evaluate(_ configs: [LimitConfig], _ totals: ExposureTotals, only row: ExposureRow? = nil) -> [LimitStatus] {
        let mclCap = configs.first { $0.kind == .mcl }?.amount
        func share(_ s: ExactDecimal, of base: Int64) -> Int64 {
            (try? (Rational(base) * Rational(s)).roundedHalfAwayFromZero()) ?? 0
        }
        func status(_ id: String, _ c: LimitConfig, cap: Int64, used: Int64) -> LimitStatus {
            let over = used > cap
            return LimitStatus(limit: id, kind: c.kind, severity: c.severity, cap: cap, used: used, state: !over ? .ok : c.severity == .block ? .breach : .warn)
        }
        /// The groups of `sums` to report: all of them, or only `row`'s.
        func groups(_ sums: [String: Int64], _ key: String?) -> [(key: String, value: Int64)] {
            guard row != nil else { return sums.sorted { $0.key < $1.key } }
            guard let key, let value = sums[key] else { return [] }
            return [(key, value)]
        }
        var out: [LimitStatus] = []
        for c in configs {
            switch c.kind {
            case .mcl:
                out.append(status(c.id, c, cap: c.amount ?? 0, used: totals.total))
            case .equityShare:
                out.append(status(c.id, c, cap: share(c.share ?? ExactDecimal(significand: 0, scale: 0), of: totals.total), used: totals.equity))
            case .dpa302Shortfall:
                for (key, used) in groups(totals.dpa302ByShortfall, row?.authority == .dpa302 ? row?.shortfall : nil) {
                    out.append(status("\(c.id):\(key)", c, cap: c.amount ?? 0, used: used))
                }
            case .countryShare, .mineralShare, .obligorShare:
                guard let mclCap, let s = c.share else { continue }
                let sums = c.kind == .countryShare ? totals.byCountry : c.kind == .mineralShare ? totals.byMineral : totals.byObligor
                for (key, used) in groups(sums, row.map { ExposureTotals.key(c.kind, $0) }) where c.scope == "*" || c.scope == key {
                    out.append(status("\(c.id):\(key)", c, cap: share(s, of: mclCap), used: used))
                }
            }
        }
        return out
    }

    /// The limits an event takes over: those over their cap after it whose use it increased.
    /// Blocking ones refuse the event; warning ones are reported.
    public static func crossings(before: [LimitStatus], after: [LimitStatus]) -> [LimitStatus] {
        let previous = Dictionary(before.map { ($0.limit, $0.used) }, uniquingKeysWith: { a, _ in a })
        return after.filter { $0.state != .ok && $0.used > (previous[$0.limit] ?? 0) }
    }
}

/// The sums of exposure rows that the limits read (DOMAIN.md §2), kept by adding and removing
/// rows: an event changes one facility's row, so the sums follow it without reading every
/// facility again. A group appears once a row with its key has been added, as in the rows.
public struct ExposureTotals: Sendable, Hashable {
    public var total: Int64 = 0
    public var equity: Int64 = 0
    /// Net obligation of DPA Title III (§302) rows, by shortfall.
    public var dpa302ByShortfall: [String: Int64] = [:]
    public var byCountry: [String: Int64] = [:]
    public var byMineral: [String: Int64] = [:]
    public var byObligor: [String: Int64] = [:]

    public init() {}

    public init(_ rows: [ExposureRow]) {
        for r in rows { add(r) }
    }

    /// The group a row belongs to for a concentration limit.
    static func key(_ kind: LimitKind, _ row: ExposureRow) -> String {
        kind == .countryShare ? row.country : kind == .mineralShare ? row.primaryMineral : row.obligor
    }

    public mutating func add(_ row: ExposureRow) { apply(row, 1) }
    public mutating func remove(_ row: ExposureRow) { apply(row, -1) }

    /// These sums with `row` in place of `old` (the same facility before and after an event).
    public func replacing(_ old: ExposureRow, with row: ExposureRow) -> ExposureTotals {
        var next = self
        next.remove(old)
        next.add(row)
        return next
    }

    public static func + (a: ExposureTotals, b: ExposureTotals) -> ExposureTotals {
        var sum = a
        sum.total += b.total
        sum.equity += b.equity
        sum.dpa302ByShortfall.merge(b.dpa302ByShortfall, uniquingKeysWith: +)
        sum.byCountry.merge(b.byCountry, uniquingKeysWith: +)
        sum.byMineral.merge(b.byMineral, uniquingKeysWith: +)
        sum.byObligor.merge(b.byObligor, uniquingKeysWith: +)
        return sum
    }

    private mutating func apply(_ r: ExposureRow, _ sign: Int64) {
        total += sign * r.exposure
        if r.instrument == .equity { equity += sign * r.exposure }
        if r.authority == .dpa302 { dpa302ByShortfall[r.shortfall, default: 0] += sign * r.netObligation }
        byCountry[r.country, default: 0] += sign * r.exposure
        byMineral[r.primaryMineral, default: 0] += sign * r.exposure
        byObligor[r.obligor, default: 0] += sign * r.exposure
    }
}
