import Dates
import Foundation
import Ledger
import Postgres

extension EventContext {
    /// Every facility's position and the USD exposure sums, once: from `read` (every facility's,
    /// just read) or read now.
    func loadPositions(_ read: [String: FacilityPosition]? = nil) throws {
        guard !positionsLoaded else { return }
        let read = try read ?? readPositions(nil)
        for id in facilities.keys { positions[id] = read[id] ?? FacilityPosition() }
        for f in sortedFacilities where f.currency.code == "USD" {
            usdTotals.add(try exposureRow(f, positions[f.id] ?? FacilityPosition(), on: nil, for: "limits"))
        }
        positionsLoaded = true
    }

    /// Sets a facility's position, keeping the exposure sums current.
    func setPosition(_ id: String, _ p: FacilityPosition) throws {
        try loadPositions()
        if let f = facilities[id] {
            if f.currency.code == "USD" {
                let old = try exposureRow(f, positions[id] ?? FacilityPosition(), on: nil, for: "limits")
                usdTotals = usdTotals.replacing(old, with: try exposureRow(f, p, on: nil, for: "limits"))
            } else {
                foreignTotals = nil
            }
        }
        positions[id] = p
    }

    /// The sums of every facility's exposure row in USD on `date`: USD facilities' kept as events
    /// are recorded, the others' converted at the date's rates (and kept for that date).
    func totals(on date: CivilDate, for eventKey: String = "limits") throws -> ExposureTotals {
        try loadPositions()
        if foreignFacilities.isEmpty { return usdTotals }
        if let cached = foreignTotals, cached.date == date { return usdTotals + cached.totals }
        var sums = ExposureTotals()
        for f in foreignFacilities { sums.add(try exposureRow(f, positions[f.id] ?? FacilityPosition(), on: date, for: eventKey)) }
        foreignTotals = (date, sums)
        return usdTotals + sums
    }

    /// A facility's exposure row in USD on `date` (FX: the latest rate on or before it); a USD
    /// facility's needs no date (nil).
    func exposureRow(_ f: Facility, _ p: FacilityPosition, on date: CivilDate?, for eventKey: String) throws -> ExposureRow {
        let rate = f.currency.code == "USD" ? nil : date.flatMap { Accrual.value(of: fxRates[f.currency.code] ?? [], on: $0) }
        guard let row = Limits.exposureRow(f, p, usdPerUnit: rate) else {
            throw LedgerError.businessRule(
                eventKey: eventKey, rule: "exposure in USD",
                detail: "facility \(f.id) is in \(f.currency.code) and there is no \(f.currency.code) rate on or before \(date.map(\.description) ?? "its date"): import fx-rates first")
        }
        return row
    }

    typealias ComputedAccrual = EventPolicy.ComputedAccrual

    /// The interest on `facility` from the end of its last accrual (or its first principal) up to
    /// `to`; nil when it has never had principal.
    func accrual(_ facility: Facility, to: CivilDate) throws -> ComputedAccrual? {
        guard let terms = facility.terms else { return nil }
        let steps = try principalSteps[facility.id] ?? readPrincipalSteps([facility.id])[facility.id] ?? []
        let accruedTo = try lastAccruedTo(facility.id)
        guard let from = accruedTo ?? steps.first?.date, from < to else { return nil }
        let rates: [Step<ExactDecimal>]
        switch terms.rate {
        case .fixed(let r): rates = [Step(CivilDate(year: 1900, month: 1, day: 1)!, r)]
        case .floating(let index, let spread):
            if resets[index] == nil { resets[index] = try LedgerStore(connection: tx).rateResets(index: index) }
            rates = try (resets[index] ?? []).map { Step($0.date, try $0.rate.adding(spread)) }
        }
        do {
            return ComputedAccrual(from: from, to: to, result: try Accrual.accrue(principal: steps, rates: rates, dayCount: terms.dayCount, from: from, to: to))
        } catch {
            throw LedgerError.businessRule(eventKey: "accrual of \(facility.id)", rule: "interest computable", detail: error.description)
        }
    }

    /// The principal (135000) of these facilities (nil: every facility) as a step function by
    /// day: its days kept up to the watermark (`ledger.balance_day`, the month rows' running
    /// sums), and the lines of the entries past it.
    func readPrincipalSteps(_ facilityIDs: [String]?) throws -> [String: [Step<Int64>]] {
        var steps: [String: [Step<Int64>]] = [:]
        if facilityIDs?.isEmpty == true { return steps }
        let ids = facilityIDs.map { ArrayLiteral($0).literal }
        var running: [String: Int64] = [:]
        for row in try tx.query(
            """
            SELECT facility_id, day, sum(net)::bigint FROM (
                SELECT account, facility_id, day, debit_minor - credit_minor AS net FROM ledger.balance_day
                UNION ALL
                SELECT account, facility_id, day, net FROM ledger.unsummarized_lines(NULL)
            ) p
             WHERE account = '135000' AND facility_id <> '' AND (\(ids)::text[] IS NULL OR facility_id = ANY (\(ids)::text[]))
             GROUP BY facility_id, day ORDER BY facility_id, day
            """)
        {
            let id: String = try row.decode(at: 0)
            running[id, default: 0] += try row.decode(Int64.self, at: 2)
            steps[id, default: []].append(Step(try row.decode(at: 1), running[id]!))
        }
        return steps
    }


    func lastAccruedTo(_ facilityID: String) throws -> CivilDate? {
        if let cached = accruedTo[facilityID] { return cached }
        let value = try tx.query("SELECT max(accrued_to) FROM ledger.event WHERE facility_id = \(facilityID)").first?.decode(CivilDate?.self, at: 0)
        // Only a locked facility's accrual end cannot change under us.
        if lockedFacilities.contains(facilityID) { accruedTo[facilityID] = value }
        return value
    }


    /// A control account's balance in a fund and currency: read once under the fund's lock, then
    /// kept current by this context.
    func controlBalance(_ account: String, _ fund: String, _ currency: Currency) throws -> Int64 {
        let k = "\(account)|\(fund)|\(currency.code)"
        if let b = controlBalances[k] { return b }
        var b: Int64 = 0
        for row in try LedgerStore.balanceRows(tx, asOf: .latest, fund: fund, account: account, byFacility: false)
        where try row.decode(String.self, at: 2) == currency.code {
            b += try row.decode(Int64.self, at: 4)
        }
        if lockedFunds.contains("\(fund)|\(currency.code)") { controlBalances[k] = b }
        return b
    }


    /// The facility's position: event sums and account balances, read afresh under its lock.
    func position(_ facilityID: String) throws -> FacilityPosition {
        try readPositions(facilityID)[facilityID] ?? FacilityPosition()
    }

    /// Positions from event sums (less the events reversed) and account balances, all time: of one
    /// facility, or (nil) of every one. Read from the summaries and the entries past their
    /// watermark, so their cost follows the facilities, not the events recorded (`LedgerStore.figures`).
    func readPositions(_ facilityID: String?) throws -> [String: FacilityPosition] {
        try LedgerStore.figures(tx, asOf: .latest, knownAt: nil, facility: facilityID).mapValues(\.position)
    }
}

extension FacilityPosition {
    /// The accounts whose balances a position holds.
    static let accounts = ["135000", "134100", "169000", "161800", "152100", "920100"]

    /// Adds an event type's total (obligated, deobligated, disbursed).
    mutating func add(event type: String, total: Int64) {
        switch EventType(rawValue: type) {
        case .obligate: obligated += total
        case .deobligate: deobligated += total
        case .disburse, .equityCall, .purchase: disbursed += total
        default: break
        }
    }

    /// Adds an account's balance (debit − credit).
    mutating func add(account: String, balance: Int64) {
        switch account {
        case "135000": principal += balance
        case "134100": accruedInterest += balance
        case "169000": equityCost += balance
        case "161800": equityAdjustment += balance
        case "152100": inventory += balance
        case "920100": guaranteeOutstanding += balance
        default: break
        }
    }
}
