// Proves the business rules (README's table, DOMAIN.md §2 and §4) without a database: each rule
// accepts an event at its boundary and refuses it one minor unit (or one day) past it, with the
// rule named. The posting rules and the chart are read from the schema's own seed (Schema/), so
// the entries are the ones the ledger posts.
import Dates
import Foundation
import Ledger
import Testing

@Suite struct EventPolicyTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Schema").standardized

    /// The seeded posting rules, as `Schema/0007_events_and_posting_rules.sql` inserts them.
    static let rules: [PostingRule] = {
        let sql = try! String(contentsOf: schema.appendingPathComponent("0007_events_and_posting_rules.sql"), encoding: .utf8)
        let tuple = /\('([a-z-]+)', '([a-z-]*)', '([^']*)', (\d+), '(\d{6})', '(debit|credit)', '([a-z-]+)'\)/
        return sql.matches(of: tuple).map { m in
            PostingRule(
                eventType: EventType(rawValue: String(m.1))!, instrument: m.2.isEmpty ? nil : Instrument(rawValue: String(m.2))!, funds: String(m.3),
                lineNo: Int(m.4)!, account: String(m.5), side: m.6 == "debit" ? Side.debit : Side.credit, component: String(m.7))
        }
    }()

    /// The seeded chart, as `Schema/0002_chart_and_funds.sql` inserts it.
    static let accounts: [String: Account] = {
        let sql = try! String(contentsOf: schema.appendingPathComponent("0002_chart_and_funds.sql"), encoding: .utf8)
        let tuple = /\('(\d{6})', '((?:[^']|'')*)', '(debit|credit)', '(proprietary|budgetary|memorandum)', '([a-z-]+)'/
        return Dictionary(
            uniqueKeysWithValues: sql.matches(of: tuple).map { m in
                (String(m.1), Account(number: String(m.1), title: String(m.2), set: AccountSet(rawValue: String(m.4))!, type: String(m.5), normalBalance: m.3 == "debit" ? Side.debit : Side.credit))
            })
    }()
    static let funds: Set<String> = ["PRG", "FIN-DL", "FIN-LG", "EQ", "DPA"]
    static let today = CivilDate(iso: "2026-12-04")!
    static func day(_ iso: String) -> CivilDate { CivilDate(iso: iso)! }

    static func facility(_ id: String = "LOAN", _ instrument: Instrument = .directLoan, currency: Currency = .usd) -> Facility {
        let terms = instrument.bearsInterest
            ? Terms(rate: .fixed(ExactDecimal("0.05")!), dayCount: .act360, frequency: .quarterly, amortization: .levelPayment,
                             firstPayment: day("2027-03-31"), maturity: day("2031-12-31"), graceMonths: 0)
            : nil
        return Facility(
            id: id, name: id, counterparty: "Co", instrument: instrument, authority: .dpa303, executiveOrder: "EO 14241 (2025-03-20)", country: "US",
            state: "NV", naics: "331410", minerals: ["graphite"], cohortFY: 2027, currency: currency, obligated: Money(minorUnits: 1_000_000, currency: currency),
            terms: terms, shortfall: "")
    }

    static func event(_ type: EventType, _ amount: Int64?, on date: String = "2026-11-16", facility: String? = "LOAN", fund: String? = nil, currency: Currency? = nil) -> Event {
        Event(id: "e-\(type.rawValue)", date: day(date), facilityID: facility, fund: fund, type: type, amount: amount, currency: currency)
    }

    /// Plenty of cash and authority in every fund unless a test says otherwise.
    static func situation(
        _ p: FacilityPosition = FacilityPosition(), accruedTo: String? = nil, accrual: EventPolicy.ComputedAccrual? = nil, closed: Set<YearMonth> = [],
        limits: [LimitConfig] = [], portfolio: ExposureTotals = ExposureTotals(), balances: [String: Int64] = [:]
    ) -> EventPolicy.Situation {
        EventPolicy.Situation(
            position: p, accruedTo: accruedTo.map(day), accrual: accrual, accounts: accounts, funds: funds, closedMonths: closed, limits: limits,
            controlBalance: { account, _, _ in balances[account] ?? (account == "101000" ? 1_000_000_000 : account == "461000" ? -1_000_000_000 : 0) },
            portfolio: { portfolio })
    }

    enum Outcome {
        case posted(EventPolicy.Decision)
        case refused(rule: String)

        var decision: EventPolicy.Decision? {
            if case .posted(let d) = self { return d }
            return nil
        }
    }

    /// Decides `event` on `facility` in `s`: the decision, or the rule that refused it.
    static func decide(_ event: Event, _ s: EventPolicy.Situation, on facility: Facility = facility()) -> Outcome {
        do {
            let admitted = try EventPolicy.admit(event, facility: facility, funds: funds, rules: rules, today: today)
            return .posted(try EventPolicy.decide(admitted, s))
        } catch let error as LedgerError {
            if case .businessRule(_, let rule, _) = error { return .refused(rule: rule) }
            if case .periodClosed = error { return .refused(rule: "closed periods") }
            return .refused(rule: error.description)
        } catch { return .refused(rule: "\(error)") }
    }

    static func refusedBy(_ outcome: Outcome) -> String? {
        if case .refused(let rule) = outcome { return rule }
        return nil
    }

    static func lines(_ outcome: Outcome) -> [String] {
        (outcome.decision?.entry.lines ?? []).map { "\($0.side == .debit ? "Dr" : "Cr") \($0.account) \($0.amount.minorUnits)" }
    }

    static func position(obligated: Int64 = 0, disbursed: Int64 = 0, principal: Int64 = 0, interest: Int64 = 0) -> FacilityPosition {
        var p = FacilityPosition()
        (p.obligated, p.disbursed, p.principal, p.accruedInterest) = (obligated, disbursed, principal, interest)
        return p
    }

    @Test func theSeedIsRead() {
        #expect(Self.rules.count > 80 && Self.accounts.count == 30)
    }

    @Test func effectiveDateWithinAYear() {
        let s = Self.situation(Self.position(obligated: 1_000))
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10, on: "2027-12-05"), s)) == nil, "366 days after today")
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10, on: "2027-12-06"), s)) == "effective date within a year")
    }

    @Test func eventsAnInstrumentAccepts() {
        let s = Self.situation(Self.position(obligated: 1_000))
        #expect(Self.refusedBy(Self.decide(Self.event(.guaranteeIssue, 10), s)) == "events a direct-loan accepts")
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10), s, on: Self.facility("G", .grant))) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.repay, 10), s, on: Self.facility("G", .grant))) == "events a grant accepts")
    }

    @Test func whereAnEventPostsIsChecked() {
        func admitted(_ e: Event, _ f: Facility? = Self.facility()) -> String? {
            do {
                _ = try EventPolicy.admit(e, facility: f, funds: Self.funds, rules: Self.rules, today: Self.today)
                return nil
            } catch let error as InputError { return error.field } catch let error as LedgerError {
                if case .businessRule(_, let rule, _) = error { return rule }
                return error.description
            } catch { return "\(error)" }
        }
        #expect(admitted(Self.event(.disburse, 1), nil) == "facility_id", "no such facility")
        #expect(admitted(Self.event(.disburse, 1, fund: "PRG")) == "fund", "a loan posts to FIN-DL")
        #expect(admitted(Self.event(.disburse, 1, fund: "FIN-DL", currency: .usd)) == nil)
        #expect(admitted(Self.event(.disburse, 1, currency: Currency(code: "EUR")!)) == "currency")
        #expect(admitted(Self.event(.appropriation, 1, facility: nil, fund: "XX", currency: .usd), nil) == "fund", "not a known fund")
        #expect(admitted(Self.event(.appropriation, 1, facility: nil, fund: "PRG"), nil) == "currency", "a fund-level event names its currency")
        #expect(admitted(Self.event(.appropriation, 1, facility: nil, fund: "PRG", currency: .usd), nil) == nil)
        #expect(admitted(Self.event(.borrowingAuthority, 1, facility: nil, fund: "PRG", currency: .usd), nil) == "funds a borrowing-authority may name")
        #expect(admitted(Self.event(.borrowingAuthority, 1, facility: nil, fund: "FIN-LG", currency: .usd), nil) == nil)
        let noRules = (try? EventPolicy.admit(Self.event(.disburse, 1), facility: Self.facility(), funds: Self.funds, rules: [], today: Self.today)) == nil
        #expect(noRules, "a posting rule for the event")
    }

    @Test func disbursementWithinTheUndisbursedObligation() {
        let s = Self.situation(Self.position(obligated: 1_000, disbursed: 400))
        #expect(Self.lines(Self.decide(Self.event(.disburse, 600), s)) == ["Dr 135000 600", "Cr 101000 600", "Dr 480100 600", "Cr 490200 600"])
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 601), s)) == "disbursement within the undisbursed obligation")
        #expect(Self.refusedBy(Self.decide(Self.event(.deobligate, 601), s)) == "deobligation within the undisbursed obligation")
        #expect(Self.refusedBy(Self.decide(Self.event(.deobligate, 600), s)) == nil)
    }

    @Test func repaymentWithinWhatIsOwed() {
        let s = Self.situation(Self.position(obligated: 1_000, disbursed: 1_000, principal: 700, interest: 50))
        #expect(Self.lines(Self.decide(Self.event(.repay, 750), s)).prefix(3) == ["Dr 101000 750", "Cr 134100 50", "Cr 135000 700"], "interest first")
        #expect(Self.refusedBy(Self.decide(Self.event(.repay, 751), s)) == "repayment within what is owed")
        #expect(Self.refusedBy(Self.decide(Self.event(.repayPrincipal, 700), s)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.repayPrincipal, 701), s)) == "repayment within what is owed")
        #expect(Self.refusedBy(Self.decide(Self.event(.writeOff, 700), s)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.writeOff, 701), s)) == "write-off of what is owed")
    }

    @Test func interestWithinInterestAccrued() {
        let s = Self.situation(Self.position(principal: 700, interest: 50))
        #expect(Self.refusedBy(Self.decide(Self.event(.repayInterest, 50), s)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.repayInterest, 51), s)) == "interest within interest accrued")
        #expect(Self.refusedBy(Self.decide(Self.event(.capitalizeInterest, 51), s)) == "interest within interest accrued")
    }

    @Test func guaranteesOutstandingNeverNegative() {
        var p = FacilityPosition()
        p.guaranteeOutstanding = 300
        let g = Self.facility("G", .loanGuarantee)
        #expect(Self.refusedBy(Self.decide(Self.event(.guaranteeReduce, 300, facility: "G"), Self.situation(p), on: g)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.guaranteeReduce, 301, facility: "G"), Self.situation(p), on: g)) == "guarantees outstanding never negative")
        #expect(Self.refusedBy(Self.decide(Self.event(.guaranteeClaim, 301, facility: "G"), Self.situation(p), on: g)) == "guarantees outstanding never negative")
    }

    @Test func fairValueNeverNegativeAndReturnOfCapitalWithinCost() {
        var p = FacilityPosition()
        (p.equityCost, p.equityAdjustment) = (500, -100)
        let eq = Self.facility("E", .equity)
        #expect(Self.refusedBy(Self.decide(Self.event(.equityValuation, -400, facility: "E"), Self.situation(p), on: eq)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.equityValuation, -401, facility: "E"), Self.situation(p), on: eq)) == "fair value never negative")
        #expect(Self.refusedBy(Self.decide(Self.event(.equityDistribution, 500, facility: "E"), Self.situation(p), on: eq)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.equityDistribution, 501, facility: "E"), Self.situation(p), on: eq)) == "return of capital within cost")
    }

    @Test func exitAndResaleOfAHeldStake() {
        let eq = Self.facility("E", .equity), pc = Self.facility("P", .purchaseCommitment)
        var held = FacilityPosition()
        (held.equityCost, held.inventory) = (1, 1)
        #expect(Self.refusedBy(Self.decide(Self.event(.equityExit, 10, facility: "E"), Self.situation(held), on: eq)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.equityExit, 10, facility: "E"), Self.situation(), on: eq)) == "exit of a held stake")
        #expect(Self.refusedBy(Self.decide(Self.event(.resale, 10, facility: "P"), Self.situation(held), on: pc)) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.resale, 10, facility: "P"), Self.situation(), on: pc)) == "resale of held inventory")
    }

    @Test func controlAccountsNeverCrossZero() {
        let p = Self.position(obligated: 1_000)
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 600), Self.situation(p, balances: ["101000": 600]))) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 600), Self.situation(p, balances: ["101000": 599]))) == "cash never credit (Fund Balance with Treasury, 101000)")
        // Anti-Deficiency: an obligation within the available allotment (461000's credit balance).
        #expect(Self.refusedBy(Self.decide(Self.event(.obligate, 800), Self.situation(balances: ["461000": -800, "101000": 0]))) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.obligate, 801), Self.situation(balances: ["461000": -800, "101000": 0])))
            == "Anti-Deficiency: obligations within the available allotment (461000)")
        let repayBorrowing = Self.event(.repayBorrowing, 100, facility: nil, fund: "FIN-DL", currency: .usd)
        #expect(Self.refusedBy(Self.decide(repayBorrowing, Self.situation(balances: ["251000": -100]))) == nil)
        #expect(Self.refusedBy(Self.decide(repayBorrowing, Self.situation(balances: ["251000": -99]))) == "borrowing repaid within what is owed to Treasury (251000)")
    }

    @Test func noEventInsideAnAccruedPeriod() throws {
        let p = Self.position(obligated: 60_000_000, disbursed: 50_000_000, principal: 50_000_000)
        let computed = try Accrual.accrue(
            principal: [Step(Self.day("2026-11-01"), 50_000_000)], rates: [Step(Self.day("2026-01-01"), ExactDecimal("0.05")!)], dayCount: .act360,
            from: Self.day("2026-11-30"), to: Self.day("2026-12-01"))
        #expect(computed.amount == 6_944, "500,000.00 at 5% for a day, act/360")
        let accrual = EventPolicy.ComputedAccrual(from: Self.day("2026-11-30"), to: Self.day("2026-12-01"), result: computed)
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10, on: "2026-11-30"), Self.situation(p, accruedTo: "2026-11-30"))) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10, on: "2026-11-29"), Self.situation(p, accruedTo: "2026-11-30"))) == "no event inside an accrued period")
        #expect(Self.refusedBy(Self.decide(Self.event(.fee, 10, on: "2026-11-29"), Self.situation(p, accruedTo: "2026-11-30"))) == nil, "a fee moves no principal")
        let accrue = Self.decide(Self.event(.accrue, nil, on: "2026-12-01"), Self.situation(p, accruedTo: "2026-11-30", accrual: accrual))
        #expect(Self.lines(accrue) == ["Dr 134100 6944", "Cr 531000 6944"])
        #expect(accrue.decision?.amount == 6_944 && accrue.decision?.accrual == accrual, "the interest computed is the event's amount")
        #expect(Self.refusedBy(Self.decide(Self.event(.accrue, nil, on: "2026-11-30"), Self.situation(p, accruedTo: "2026-11-30", accrual: accrual))) == "no event inside an accrued period")
        #expect(Self.refusedBy(Self.decide(Self.event(.accrue, nil, on: "2026-12-01"), Self.situation(p, accruedTo: "2026-11-30"))) == "accrual computed by the ledger")
    }

    @Test func closedPeriods() {
        let s = Self.situation(Self.position(obligated: 1_000), closed: [YearMonth(year: 2026, month: 10)!])
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10, on: "2026-10-31"), s)) == "closed periods")
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 10, on: "2026-11-01"), s)) == nil)
    }

    @Test func limitsBlockAtTheirCapAndWarnOverIt() {
        // The MCL: 10,000.00 USD. This loan's exposure is 2,000.00 (principal 1,000.00 and as much
        // undisbursed), another loan's 7,000.00: 1,000.00 left under the cap.
        let loan = Self.facility()
        let p = Self.position(obligated: 200_000, disbursed: 100_000, principal: 100_000)
        let row = Limits.exposureRow(loan, p, usdPerUnit: nil)!
        let portfolio = ExposureTotals([row, Limits.exposureRow(Self.facility("OTHER"), Self.position(principal: 700_000), usdPerUnit: nil)!])
        let mcl = LimitConfig(id: "mcl", effectiveFrom: Self.day("2019-12-20"), kind: .mcl, amount: 1_000_000, share: nil, severity: .block)
        // A disbursement moves undisbursed into principal: exposure unchanged, so no limit can refuse it.
        #expect(Self.refusedBy(Self.decide(Self.event(.disburse, 100_000), Self.situation(p, limits: [mcl], portfolio: portfolio))) == nil)
        // Obligating adds undisbursed: up to the cap, and not a cent over it.
        #expect(Self.refusedBy(Self.decide(Self.event(.obligate, 100_000), Self.situation(p, limits: [mcl], portfolio: portfolio))) == nil)
        #expect(Self.refusedBy(Self.decide(Self.event(.obligate, 100_001), Self.situation(p, limits: [mcl], portfolio: portfolio))) == "limit mcl")
        let warn = LimitConfig(id: "mcl-warn", effectiveFrom: Self.day("2019-12-20"), kind: .mcl, amount: 1_000_000, share: nil, severity: .warn)
        let warned = Self.decide(Self.event(.obligate, 100_001), Self.situation(p, limits: [warn], portfolio: portfolio))
        #expect(warned.decision?.warnings == ["limit mcl-warn: 10000.01 USD would be used of a cap of 10000.00 USD, 0.01 USD over"])
        // Not yet in effect on the event's date: no limit.
        let later = LimitConfig(id: "mcl", effectiveFrom: Self.day("2027-01-01"), kind: .mcl, amount: 1, share: nil, severity: .block)
        #expect(Self.refusedBy(Self.decide(Self.event(.obligate, 100_001), Self.situation(p, limits: Limits.inEffect([later], on: Self.day("2026-11-16")), portfolio: portfolio))) == nil)
    }
}
