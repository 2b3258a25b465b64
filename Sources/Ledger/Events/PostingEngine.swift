/// What a facility holds, from its balances and its events: what the business rules and the
/// computed parts of an entry need.
public struct FacilityPosition: Sendable, Hashable {
    public var obligated: Int64 = 0
    public var deobligated: Int64 = 0
    /// Disbursements, equity calls and purchases.
    public var disbursed: Int64 = 0
    /// 135000, debit − credit.
    public var principal: Int64 = 0
    /// 134100, debit − credit.
    public var accruedInterest: Int64 = 0
    /// 169000 and 161800 (signed), debit − credit.
    public var equityCost: Int64 = 0
    public var equityAdjustment: Int64 = 0
    /// 152100.
    public var inventory: Int64 = 0
    /// 920100.
    public var guaranteeOutstanding: Int64 = 0

    public init() {}

    public var undisbursed: Int64 { obligated - deobligated - disbursed }
}

/// Turns an event into its journal entry by the posting rules, computing the parts that come from
/// balances (the repayment waterfall, write-offs, exits and resales with their gain or loss) and
/// refusing what a business rule forbids, before anything is written.
public enum PostingEngine {
    /// The amounts each rule component takes for `event` (amount in minor units, already checked
    /// for sign). `accrued` is the interest the ledger computed for an `accrue` event.
    public static func components(for event: Event, position p: FacilityPosition, currency: Currency, accrued: Int64? = nil) throws(LedgerError) -> [String: Int64] {
        let key = event.id
        func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).formatted + " " + currency.code }
        func refuse(_ rule: String, _ detail: String) -> LedgerError { .businessRule(eventKey: key, rule: rule, detail: detail) }
        let a = event.amount ?? 0
        switch event.type {
        case .disburse, .equityCall, .purchase:
            guard a <= p.undisbursed else {
                throw refuse("disbursement within the undisbursed obligation", "\(event.type.rawValue) of \(money(a)) exceeds the undisbursed obligation of \(money(p.undisbursed)) by \(money(a - p.undisbursed))")
            }
        case .deobligate:
            guard a <= p.undisbursed else {
                throw refuse("deobligation within the undisbursed obligation", "deobligating \(money(a)) exceeds the undisbursed obligation of \(money(p.undisbursed))")
            }
        case .repay:
            let owed = p.accruedInterest + p.principal
            guard a <= owed else {
                throw refuse("repayment within what is owed", "a repayment of \(money(a)) exceeds what is owed, \(money(owed)) (accrued interest \(money(p.accruedInterest)) + principal \(money(p.principal)))")
            }
            let interest = min(a, max(p.accruedInterest, 0))
            return ["amount": a, "interest": interest, "principal": a - interest]
        case .repayInterest, .capitalizeInterest:
            guard a <= p.accruedInterest else {
                throw refuse("interest within interest accrued", "\(event.type.rawValue) of \(money(a)) exceeds the accrued interest of \(money(p.accruedInterest)) (record an accrue event first when a payment falls mid-month)")
            }
        case .repayPrincipal:
            guard a <= p.principal else {
                throw refuse("repayment within what is owed", "a principal repayment of \(money(a)) exceeds the outstanding principal of \(money(p.principal))")
            }
        case .writeOff:
            if event.amount == nil {
                guard p.principal > 0 || p.accruedInterest > 0 else { throw refuse("write-off of what is owed", "nothing is outstanding to write off") }
                return ["principal": p.principal, "interest": p.accruedInterest, "total": p.principal + p.accruedInterest]
            }
            guard a <= p.principal else {
                throw refuse("write-off of what is owed", "writing off \(money(a)) exceeds the outstanding principal of \(money(p.principal))")
            }
            return ["principal": a, "interest": 0, "total": a]
        case .guaranteeReduce, .guaranteeClaim:
            guard a <= p.guaranteeOutstanding else {
                throw refuse("guarantees outstanding never negative", "\(event.type.rawValue) of \(money(a)) exceeds the guaranteed principal outstanding of \(money(p.guaranteeOutstanding))")
            }
        case .equityValuation:
            let fairValue = p.equityCost + p.equityAdjustment
            guard fairValue + a >= 0 else {
                throw refuse("fair value never negative", "a fall of \(money(-a)) exceeds the fair value of \(money(fairValue))")
            }
            return ["up": max(a, 0), "down": max(-a, 0)]
        case .equityDistribution:
            guard a <= p.equityCost else {
                throw refuse("return of capital within cost", "a distribution of \(money(a)) exceeds the equity cost of \(money(p.equityCost))")
            }
        case .equityExit:
            guard p.equityCost > 0 else { throw refuse("exit of a held stake", "the facility holds no equity (169000 is \(money(p.equityCost)))") }
            let carrying = p.equityCost + p.equityAdjustment
            return [
                "proceeds": a, "cost": p.equityCost, "adjustment-up": max(p.equityAdjustment, 0), "adjustment-down": max(-p.equityAdjustment, 0),
                "gain": max(a - carrying, 0), "loss": max(carrying - a, 0),
            ]
        case .resale:
            guard p.inventory > 0 else { throw refuse("resale of held inventory", "the facility holds no inventory (152100 is \(money(p.inventory)))") }
            return ["proceeds": a, "cost": p.inventory, "gain": max(a - p.inventory, 0), "loss": max(p.inventory - a, 0)]
        case .accrue:
            guard let accrued else { throw refuse("accrual computed by the ledger", "no accrual was computed") }
            if let given = event.amount, given != accrued {
                throw refuse("accrual computed by the ledger", "the event says \(money(given)) but the interest for the period is \(money(accrued))")
            }
            return ["amount": accrued]
        case .appropriation, .borrowingAuthority, .apportion, .allot, .borrow, .repayBorrowing, .obligate, .fee, .guaranteeIssue,
            .guaranteeRecovery:
            break
        }
        return ["amount": a]
    }

    /// The entry for `event`: one line per rule whose component is not zero, in rule order.
    public static func entry(
        for event: Event, fund: String, facilityID: String?, currency: Currency, rules: [PostingRule], components: [String: Int64], description: String
    ) throws(LedgerError) -> NewEntry {
        var lines: [JournalLine] = []
        for rule in rules.sorted(by: { $0.lineNo < $1.lineNo }) {
            let amount = components[rule.component] ?? 0
            guard amount != 0 else { continue }
            guard amount > 0 else {
                throw .businessRule(eventKey: event.id, rule: "posting rule \(event.type.rawValue) line \(rule.lineNo)", detail: "component \(rule.component) is negative")
            }
            lines.append(JournalLine(account: rule.account, fund: fund, facility: facilityID, side: rule.side, amount: Money(minorUnits: amount, currency: currency)))
        }
        guard lines.count >= 2 else {
            throw .businessRule(eventKey: event.id, rule: "an event posts something", detail: "the \(event.type.rawValue) amounts are all zero")
        }
        return NewEntry(eventKey: event.id, effectiveDate: event.date, description: description, lines: lines)
    }

    /// Accounts that may never cross zero, per fund and currency (DESIGN.md §4): the rule's name
    /// and the side it may not go to.
    public static let controlAccounts: [String: (rule: String, forbidden: Side)] = [
        "101000": ("cash never credit (Fund Balance with Treasury, 101000)", .credit),
        "445000": ("unapportioned authority never debit (445000)", .debit),
        "451000": ("apportionments never debit (451000)", .debit),
        "461000": ("Anti-Deficiency: obligations within the available allotment (461000)", .debit),
        "251000": ("borrowing repaid within what is owed to Treasury (251000)", .debit),
    ]

    /// Refuses an entry that would take a control account across zero. `balance(account, fund,
    /// currency)` is the current debit − credit balance.
    public static func checkControlAccounts(_ entry: NewEntry, balance: (String, String, Currency) throws -> Int64) throws -> Void {
        var change: [String: (account: String, fund: String, currency: Currency, net: Int64)] = [:]
        for line in entry.lines where controlAccounts[line.account] != nil {
            let k = "\(line.account)|\(line.fund)|\(line.amount.currency.code)"
            let signed = line.signedMinorUnits
            change[k, default: (line.account, line.fund, line.amount.currency, 0)].net += signed
        }
        for (_, c) in change.sorted(by: { $0.key < $1.key }) {
            guard let control = controlAccounts[c.account] else { continue }
            let before = try balance(c.account, c.fund, c.currency)
            let after = before + c.net
            let crosses = control.forbidden == .credit ? after < 0 : after > 0
            guard crosses else { continue }
            let available = control.forbidden == .credit ? before : -before
            let needed = control.forbidden == .credit ? -c.net : c.net
            func money(_ m: Int64) -> String { Money(minorUnits: m, currency: c.currency).formatted + " " + c.currency.code }
            throw LedgerError.businessRule(
                eventKey: entry.eventKey, rule: control.rule,
                detail: "fund \(c.fund) has \(money(available)) available; this entry needs \(money(needed)), \(money(needed - available)) more")
        }
    }
}

extension FacilityPosition {
    /// The position after `entry` (the lines of one event of `type` with `amount`) is posted.
    public func applying(_ entry: NewEntry, type: EventType, amount: Int64?) -> FacilityPosition {
        var p = self
        for line in entry.lines {
            let signed = line.signedMinorUnits
            switch line.account {
            case "135000": p.principal += signed
            case "134100": p.accruedInterest += signed
            case "169000": p.equityCost += signed
            case "161800": p.equityAdjustment += signed
            case "152100": p.inventory += signed
            case "920100": p.guaranteeOutstanding += signed
            default: break
            }
        }
        let a = amount ?? 0
        switch type {
        case .obligate: p.obligated += a
        case .deobligate: p.deobligated += a
        case .disburse, .equityCall, .purchase: p.disbursed += a
        default: break
        }
        return p
    }
}
