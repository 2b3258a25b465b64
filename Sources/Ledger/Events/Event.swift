import Dates

/// Every event type (DESIGN.md §4–5): fund-level ones, then facility events.
public enum EventType: String, Sendable, CaseIterable, Codable {
    case appropriation, borrowingAuthority = "borrowing-authority", apportion, allot, borrow, repayBorrowing = "repay-borrowing"
    case obligate, deobligate, disburse, repay, repayInterest = "repay-interest", repayPrincipal = "repay-principal", fee, accrue
    case capitalizeInterest = "capitalize-interest", writeOff = "write-off"
    case guaranteeIssue = "guarantee-issue", guaranteeReduce = "guarantee-reduce", guaranteeClaim = "guarantee-claim", guaranteeRecovery = "guarantee-recovery"
    case equityCall = "equity-call", equityValuation = "equity-valuation", equityDistribution = "equity-distribution", equityExit = "equity-exit"
    case purchase, resale

    /// Fund-level events name a fund and no facility.
    public var isFundLevel: Bool {
        switch self {
        case .appropriation, .borrowingAuthority, .apportion, .allot, .borrow, .repayBorrowing: true
        default: false
        }
    }

    /// Equity valuation is signed (a fall in value is negative); a write-off may leave the amount
    /// blank (everything), and so may an accrual (the ledger computes it).
    public var amountMayBeNegative: Bool { self == .equityValuation }
    public var amountMayBeBlank: Bool { self == .writeOff || self == .accrue }

    /// The events each instrument accepts (DESIGN.md §4).
    public static func accepted(by instrument: Instrument) -> [EventType] {
        switch instrument {
        case .directLoan: [.obligate, .deobligate, .disburse, .repay, .repayInterest, .repayPrincipal, .fee, .accrue, .capitalizeInterest, .writeOff]
        case .loanGuarantee: [.obligate, .deobligate, .guaranteeIssue, .guaranteeReduce, .guaranteeClaim, .guaranteeRecovery]
        case .equity: [.obligate, .deobligate, .equityCall, .equityValuation, .equityDistribution, .equityExit]
        case .purchaseCommitment: [.obligate, .deobligate, .purchase, .resale]
        case .grant: [.obligate, .deobligate, .disburse]
        }
    }
}

/// A business fact to record: a row of the events CSV, or one officer's command.
public struct Event: Sendable, Hashable {
    /// The idempotency key (becomes the entry's event key).
    public var id: String
    public var date: CivilDate
    /// nil for fund-level events.
    public var facilityID: String?
    /// The fund (for a facility event, the facility's; may be given as nil and filled in).
    public var fund: String?
    public var type: EventType
    /// In minor units of `currency`; nil only for a write-off of everything; negative only for a
    /// fall in equity value.
    public var amount: Int64?
    public var currency: Currency?
    public var reference: String
    public var memo: String

    public init(
        id: String, date: CivilDate, facilityID: String?, fund: String?, type: EventType, amount: Int64?, currency: Currency?,
        reference: String = "", memo: String = ""
    ) {
        self.id = id
        self.date = date
        self.facilityID = facilityID
        self.fund = fund
        self.type = type
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.memo = memo
    }

    /// The columns of the events CSV.
    public static let columns = ["event_id", "date", "facility_id", "fund", "type", "amount", "currency", "reference", "memo"]
    public static let optionalColumns = ["facility_id", "fund", "currency", "reference", "memo"]

    /// Parses one event from CSV fields, naming the column and value of the first problem. The
    /// amount's digits are checked against the currency (the facility's when the column is blank),
    /// so `currencyOf` gives a facility's currency.
    public static func parse(
        _ raw: [String: String], currencyOf facilityCurrency: (String) -> Currency?, file: String, location: String
    ) throws(InputError) -> Event {
        func value(_ c: String) -> String { (raw[c] ?? "").trimmingSpaces }
        func fail(_ c: String, _ reason: String) -> InputError { InputError(file: file, location: location, field: c, value: value(c), reason: reason) }
        let id = value("event_id")
        guard !id.isEmpty, id.count <= Journal.eventKeyLengthMax, !id.contains(where: \.isNewline) else {
            throw fail("event_id", "an event id is 1 to \(Journal.eventKeyLengthMax) characters on one line")
        }
        guard !id.hasPrefix("accrual:"), !id.hasPrefix("reversal:") else { throw fail("event_id", "ids starting \"accrual:\" or \"reversal:\" are the ledger's own") }
        guard let date = CivilDate(iso: value("date")) else { throw fail("date", "not a date in YYYY-MM-DD form") }
        guard let type = EventType(rawValue: value("type")) else {
            throw fail("type", "not an event type (\(EventType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let facility = value("facility_id").isEmpty ? nil : value("facility_id")
        let fund = value("fund").isEmpty ? nil : value("fund")
        if type.isFundLevel {
            guard facility == nil else { throw fail("facility_id", "a \(type.rawValue) event is fund-level: leave facility_id blank") }
            guard fund != nil else { throw fail("fund", "a fund-level \(type.rawValue) event names its fund") }
            guard !value("currency").isEmpty else { throw fail("currency", "a fund-level event names its currency") }
        } else {
            guard let facility else { throw fail("facility_id", "a \(type.rawValue) event names its facility") }
            guard Journal.isWellFormedFacilityID(facility) else { throw fail("facility_id", "not a facility id") }
        }
        var currency: Currency?
        if !value("currency").isEmpty {
            do { currency = try Currency.named(value("currency")) } catch { throw fail("currency", error.reason) }
        }
        let amountCurrency = currency ?? facility.flatMap(facilityCurrency)
        var amount: Int64?
        let amountText = value("amount")
        if amountText.isEmpty {
            guard type.amountMayBeBlank else { throw fail("amount", "is required") }
        } else {
            guard let c = amountCurrency else { throw fail("facility_id", "no such facility (import it first)") }
            let negative = amountText.hasPrefix("-")
            let body = negative ? String(amountText.dropFirst()) : amountText
            let money: Money
            do { money = try Money(parsing: body, currency: c) } catch { throw fail("amount", error.reason) }
            guard money.minorUnits > 0, !body.hasPrefix("-") else { throw fail("amount", "must be positive") }
            guard !negative || type.amountMayBeNegative else { throw fail("amount", "must be positive (only an equity-valuation may be negative)") }
            amount = negative ? -money.minorUnits : money.minorUnits
        }
        let reference = value("reference"), memo = value("memo")
        guard reference.count <= 200, memo.count <= 500, !reference.contains(where: \.isNewline) else {
            throw fail(reference.count > 200 ? "reference" : "memo", "is too long (reference 200, memo 500 characters, one line)")
        }
        return Event(id: id, date: date, facilityID: facility, fund: fund, type: type, amount: amount, currency: currency, reference: reference, memo: memo)
    }
}

/// One line an event type posts (a row of `ledger.posting_rule`).
public struct PostingRule: Sendable, Hashable {
    public var eventType: EventType
    /// The instrument, or nil for fund-level rules.
    public var instrument: Instrument?
    /// `*`, or a prefix pattern such as `FIN-*`.
    public var funds: String
    public var lineNo: Int
    public var account: String
    public var side: Side
    public var component: String

    public init(eventType: EventType, instrument: Instrument?, funds: String, lineNo: Int, account: String, side: Side, component: String) {
        self.eventType = eventType
        self.instrument = instrument
        self.funds = funds
        self.lineNo = lineNo
        self.account = account
        self.side = side
        self.component = component
    }

    public func allows(fund: String) -> Bool {
        funds == "*" || (funds.hasSuffix("*") ? fund.hasPrefix(funds.dropLast()) : fund == funds)
    }
}
