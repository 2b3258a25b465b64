import Dates

/// The business rules an event must pass before anything is written (DESIGN.md §2 invariant 8,
/// DOMAIN.md §2 and §4), as two pure functions: the decision, apart from its effects.
///
/// `admit` needs only the event, its facility, the funds and the posting rules; LedgerStore calls
/// it before it takes any lock. `decide` needs what the store reads under the event's locks (the
/// fund's, then the facility's): the facility's position, its last accrual end, the control
/// balances and the portfolio's exposure. It returns the entry to post with its warnings, or
/// throws the refusal, naming the rule and the amounts. The database checks the journal's own
/// invariants again; these rules are the ledger's, and only here.
public enum EventPolicy {
    /// An event that passed `admit`: where it posts and by which rules.
    public struct Admitted: Sendable, Equatable {
        public var event: Event
        public var fund: String
        public var currency: Currency
        /// The facility, for a facility event.
        public var facility: Facility?
        /// The posting rules of the event's type for its instrument (nil: a fund-level event).
        public var rules: [PostingRule]
    }

    /// Interest the ledger computed for an `accrue` event: [from, to) and its result.
    public struct ComputedAccrual: Sendable, Equatable {
        public var from: CivilDate
        public var to: CivilDate
        public var result: Accrual.Result

        public init(from: CivilDate, to: CivilDate, result: Accrual.Result) {
            self.from = from
            self.to = to
            self.result = result
        }
    }

    /// What `decide` reads, gathered by the store under the event's locks.
    public struct Situation {
        /// The facility's position before the event (empty for a fund-level event).
        public var position: FacilityPosition
        /// The end of the facility's last accrual, if it bears interest and was ever accrued.
        public var accruedTo: CivilDate?
        /// For an `accrue` event: the interest computed from the facility's principal and rates
        /// (nil when it has no principal to accrue on).
        public var accrual: ComputedAccrual?
        /// The accrual comes from month-end, which computes it from `accruedTo` itself.
        public var accrualFromMonthEnd: Bool
        public var accounts: [String: Account]
        public var funds: Set<String>
        public var closedMonths: Set<YearMonth>
        /// The limits in effect on the event's date.
        public var limits: [LimitConfig]
        /// USD per unit of the facility's currency on the event's date (nil for USD, or when there
        /// is no rate).
        public var usdPerUnit: ExactDecimal?
        /// A control account's balance (debit − credit) in a fund and currency, before the event.
        public var controlBalance: (_ account: String, _ fund: String, _ currency: Currency) throws -> Int64
        /// Every facility's exposure in USD on the event's date, this facility's as it stands before
        /// the event: read only when the event adds exposure or net obligation.
        public var portfolio: () throws -> ExposureTotals

        public init(
            position: FacilityPosition = FacilityPosition(), accruedTo: CivilDate? = nil, accrual: ComputedAccrual? = nil, accrualFromMonthEnd: Bool = false,
            accounts: [String: Account], funds: Set<String>, closedMonths: Set<YearMonth> = [], limits: [LimitConfig] = [], usdPerUnit: ExactDecimal? = nil,
            controlBalance: @escaping (String, String, Currency) throws -> Int64, portfolio: @escaping () throws -> ExposureTotals
        ) {
            self.position = position
            self.accruedTo = accruedTo
            self.accrual = accrual
            self.accrualFromMonthEnd = accrualFromMonthEnd
            self.accounts = accounts
            self.funds = funds
            self.closedMonths = closedMonths
            self.limits = limits
            self.usdPerUnit = usdPerUnit
            self.controlBalance = controlBalance
            self.portfolio = portfolio
        }
    }

    /// What to post.
    public struct Decision: Sendable, Equatable {
        public var entry: NewEntry
        /// The facility's position after the entry (nil for a fund-level event).
        public var after: FacilityPosition?
        /// Limits with severity "warn" the event takes over their cap.
        public var warnings: [String]
        /// The event's amount as recorded (an accrual's is the interest computed).
        public var amount: Int64?
        /// An accrual's period and interest.
        public var accrual: ComputedAccrual?
    }

    /// Principal-moving events, which may not be dated inside an accrued period.
    static let movesPrincipal: Set<EventType> = [.disburse, .repay, .repayPrincipal, .capitalizeInterest, .writeOff]

    /// The rules that need no lock: a date within a year of `today`; a fund-level event names a
    /// known fund and its currency; a facility event names a facility (`facility`, nil when there
    /// is none by that id) whose instrument accepts the event type, and its fund and currency if
    /// given; a posting rule exists for the event and allows its fund.
    public static func admit(_ event: Event, facility: Facility?, funds: Set<String>, rules: [PostingRule], today: CivilDate) throws -> Admitted {
        let key = event.id
        guard event.date <= today.adding(days: 366) else {
            throw LedgerError.businessRule(eventKey: key, rule: "effective date within a year", detail: "\(event.date) is more than 366 days after today")
        }
        let fund: String
        let currency: Currency
        if event.type.isFundLevel {
            guard let f = event.fund, funds.contains(f) else {
                throw InputError(file: "event \(key)", field: "fund", value: event.fund ?? "", reason: "not a known fund")
            }
            guard let c = event.currency else { throw InputError(file: "event \(key)", field: "currency", value: "", reason: "a fund-level event names its currency") }
            (fund, currency) = (f, c)
        } else {
            guard let f = facility else {
                throw InputError(file: "event \(key)", field: "facility_id", value: event.facilityID ?? "", reason: "no such facility (import it first)")
            }
            let accepted = EventType.accepted(by: f.instrument)
            guard accepted.contains(event.type) else {
                throw LedgerError.businessRule(
                    eventKey: key, rule: "events a \(f.instrument.rawValue) accepts",
                    detail: "\(event.type.rawValue) is not one of \(accepted.map(\.rawValue).joined(separator: ", "))")
            }
            if let given = event.fund, given != f.instrument.fund {
                throw InputError(file: "event \(key)", field: "fund", value: given, reason: "facility \(f.id) posts to fund \(f.instrument.fund)")
            }
            if let given = event.currency, given != f.currency {
                throw InputError(file: "event \(key)", field: "currency", value: given.code, reason: "facility \(f.id) is in \(f.currency.code)")
            }
            (fund, currency) = (f.instrument.fund, f.currency)
        }
        let instrument = event.type.isFundLevel ? nil : facility?.instrument
        let matching = rules.filter { $0.eventType == event.type && $0.instrument == instrument }
        guard !matching.isEmpty else {
            throw LedgerError.businessRule(
                eventKey: key, rule: "a posting rule for the event", detail: "no posting rule for \(event.type.rawValue)\(instrument.map { " on a \($0.rawValue)" } ?? "")")
        }
        if let bad = matching.first(where: { !$0.allows(fund: fund) }) {
            throw LedgerError.businessRule(eventKey: key, rule: "funds a \(event.type.rawValue) may name", detail: "fund \(fund) is not \(bad.funds)")
        }
        return Admitted(event: event, fund: fund, currency: currency, facility: event.type.isFundLevel ? nil : facility, rules: matching)
    }

    /// The rules that read the books, in this order: no event inside an accrued period; an
    /// accrual has interest to accrue; the amounts within what the position allows (disbursement
    /// within the undisbursed obligation, repayment within what is owed, …: PostingEngine); the
    /// entry well formed in the chart; not in a closed month; no control account across zero; no
    /// blocking limit taken over its cap (a warning limit is reported with the decision).
    public static func decide(_ a: Admitted, _ s: Situation) throws -> Decision {
        let event = a.event
        let key = event.id
        if let facility = a.facility, facility.instrument.bearsInterest, let accruedTo = s.accruedTo {
            if movesPrincipal.contains(event.type) && event.date < accruedTo || event.type == .accrue && event.date <= accruedTo && !s.accrualFromMonthEnd {
                throw LedgerError.businessRule(
                    eventKey: key, rule: "no event inside an accrued period",
                    detail: "interest on \(facility.id) is accrued up to \(accruedTo); date the \(event.type.rawValue) on or after it")
            }
        }
        if event.type == .accrue && s.accrual == nil {
            throw LedgerError.businessRule(
                eventKey: key, rule: "accrual computed by the ledger", detail: "\(event.facilityID ?? "the facility") has no principal to accrue on before \(event.date)")
        }
        let components = try PostingEngine.components(for: event, position: s.position, currency: a.currency, accrued: s.accrual?.result.amount)
        let description = [event.type.rawValue, event.facilityID ?? "fund \(a.fund)", event.reference, event.memo].filter { !$0.isEmpty }.joined(separator: " · ")
        let entry = try PostingEngine.entry(
            for: event, fund: a.fund, facilityID: event.facilityID, currency: a.currency, rules: a.rules, components: components,
            description: String(description.prefix(Journal.descriptionLengthMax)))
        try Journal.validate(entry, accounts: s.accounts, funds: s.funds)
        if s.closedMonths.contains(YearMonth(event.date)) { throw LedgerError.periodClosed(month: YearMonth(event.date).description, eventKey: key) }
        try PostingEngine.checkControlAccounts(entry, balance: s.controlBalance)

        let accrual = event.type == .accrue ? s.accrual : nil
        var decision = Decision(entry: entry, warnings: [], amount: accrual?.result.amount ?? event.amount, accrual: accrual)
        guard let facility = a.facility else { return decision }
        let after = s.position.applying(entry, type: event.type, amount: event.amount)
        decision.after = after
        decision.warnings = try limitWarnings(facility, before: s.position, after: after, key: key, date: event.date, s)
        return decision
    }

    /// Limits (DOMAIN.md §2) at the event's date: a blocking limit the event takes over its cap
    /// refuses it; a warning one is returned. Only an event that adds exposure or net obligation
    /// can take a limit over its cap.
    static func limitWarnings(
        _ facility: Facility, before: FacilityPosition, after: FacilityPosition, key: String, date: CivilDate, _ s: Situation
    ) throws -> [String] {
        guard Limits.exposure(facility.instrument, after) > Limits.exposure(facility.instrument, before)
            || after.obligated - after.deobligated > before.obligated - before.deobligated
        else { return [] }
        let totals = try s.portfolio()
        func row(_ p: FacilityPosition) throws -> ExposureRow {
            guard let row = Limits.exposureRow(facility, p, usdPerUnit: s.usdPerUnit) else {
                throw LedgerError.businessRule(
                    eventKey: key, rule: "exposure in USD",
                    detail: "facility \(facility.id) is in \(facility.currency.code) and there is no \(facility.currency.code) rate on or before \(date): import fx-rates first")
            }
            return row
        }
        let rowBefore = try row(before)
        let rowAfter = try row(after)
        let statusBefore = Limits.evaluate(s.limits, totals, only: rowBefore)
        let statusAfter = Limits.evaluate(s.limits, totals.replacing(rowBefore, with: rowAfter), only: rowAfter)
        var warnings: [String] = []
        for crossing in Limits.crossings(before: statusBefore, after: statusAfter) {
            func usd(_ minor: Int64) -> String { Money(minorUnits: minor, currency: .usd).formatted + " USD" }
            let detail = "\(crossing.limit): \(usd(crossing.used)) would be used of a cap of \(usd(crossing.cap)), \(usd(crossing.used - crossing.cap)) over"
            if crossing.severity == .block { throw LedgerError.businessRule(eventKey: key, rule: "limit \(crossing.limit)", detail: detail) }
            warnings.append("limit \(detail)")
        }
        return warnings
    }
}
