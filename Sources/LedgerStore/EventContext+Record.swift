import Dates
import Foundation
import Ledger
import Postgres

extension EventContext {
    /// Records one event inside the transaction: idempotency, then the business rules
    /// (`EventPolicy`: admitted before any lock, decided under the fund's and the facility's
    /// locks on what is read under them), then the entry and the event row.
    func record(_ event: Event, accrual precomputed: ComputedAccrual?) throws -> PostResult {
        // A waiting entry with the same id, or an accrual that reads principal from the database
        // (its facility's steps not kept here): write what waits first.
        if pendingKeys.contains(event.id) || (event.type == .accrue && precomputed == nil && principalSteps[event.facilityID ?? ""] == nil) {
            try flush()
        }
        if knownKeys?.contains(event.id) ?? true, let existing = try existingEvent(event) { return existing }
        let key = event.id
        let admitted = try EventPolicy.admit(
            event, facility: event.facilityID.flatMap { facilities[$0] }, funds: chart.funds, rules: rules, today: CivilDate.todayUTC())
        let facility = admitted.facility

        // Lock what the rules read, always in the same order: the fund, then the facility. Held
        // to the end of the transaction, so what is read after locking stays true in it, and this
        // context keeps it current itself.
        try lockFunds([admitted.fund + "|" + admitted.currency.code])
        if let facility, !lockedFacilities.contains(facility.id) {
            try tx.execute("SELECT pg_advisory_xact_lock(7306004, hashtext(\(facility.id)))")
            try setPosition(facility.id, try self.position(facility.id))
            lockedFacilities.insert(facility.id)
        }
        var position = FacilityPosition()
        var accrualEnd: CivilDate?
        var accrual = precomputed
        if let facility {
            try loadPositions()
            position = positions[facility.id] ?? FacilityPosition()
            if facility.instrument.bearsInterest { accrualEnd = try lastAccruedTo(facility.id) }
            if event.type == .accrue && accrual == nil { accrual = try self.accrual(facility, to: event.date) }
        }
        let rate = facility.flatMap { $0.currency.code == "USD" ? nil : Accrual.value(of: fxRates[$0.currency.code] ?? [], on: event.date) }
        let decision = try EventPolicy.decide(
            admitted,
            EventPolicy.Situation(
                position: position, accruedTo: accrualEnd, accrual: accrual, accrualFromMonthEnd: precomputed != nil,
                accounts: chart.accounts, funds: chart.funds, closedMonths: chart.closedMonths,
                limits: Limits.inEffect(limitConfigs, on: event.date), usdPerUnit: rate,
                controlBalance: { try self.controlBalance($0, $1, $2) }, portfolio: { try self.totals(on: event.date, for: key) }))

        // Entry, lines and event in one statement (one round trip); the journal's triggers check
        // it all again.
        let entry = decision.entry
        let row = EventRow(
            event_id: key, event_type: event.type.rawValue, facility_id: event.facilityID, fund: admitted.fund, effective_date: event.date.description,
            amount_minor: decision.amount, currency: admitted.currency.code, reference: event.reference, memo: event.memo,
            accrued_from: decision.accrual?.from.description, accrued_to: decision.accrual?.to.description)
        var entryID: Int64 = 0
        if batching {
            pending.append((entry, row))
            pendingKeys.insert(key)
        } else {
            do {
                entryID = try LedgerStore.runPosting(LedgerStore.insertStatement(entry, onConflictDoNothing: false, event: row), tx)!
            } catch let error as PostgresError where error.code?.rawValue == "LX002" {
                throw LedgerError.periodClosed(month: YearMonth(event.date).description, eventKey: key)
            }
        }
        if repeatedKeys?.contains(key) ?? true { knownKeys?.insert(key) }
        if let facility, let after = decision.after { try setPosition(facility.id, after) }
        if let facility, let to = decision.accrual?.to { accruedTo[facility.id] = to }
        for line in entry.lines {
            if PostingEngine.controlAccounts[line.account] != nil {
                let k = "\(line.account)|\(line.fund)|\(line.amount.currency.code)"
                if let b = controlBalances[k] { controlBalances[k] = b + line.signedMinorUnits }
            }
            if line.account == "135000", let id = line.facility {
                principalSteps[id]?.add(line.signedMinorUnits, from: entry.effectiveDate)
            }
        }
        return PostResult(entryID: entryID, eventKey: key, status: .created, warnings: decision.warnings)
    }



    /// The earlier recording of the same event id: `.existing` when the same, a conflict naming the
    /// first differing field otherwise.
    func existingEvent(_ event: Event) throws -> PostResult? {
        guard
            let row = try tx.query(
                """
                SELECT entry_id, event_type, coalesce(facility_id, ''), fund, effective_date, amount_minor, currency, reference, memo
                  FROM ledger.event WHERE event_id = \(event.id)
                """
            ).first
        else {
            if try tx.scalar(Int64.self, "SELECT entry_id FROM ledger.journal_entry WHERE event_key = \(event.id)") != nil {
                throw LedgerError.idempotencyConflict(eventKey: event.id, field: "event_id", existing: "a manual entry", requested: "an event")
            }
            return nil
        }
        let currency = try Currency.named(try row.decode(at: 6))
        let storedAmount: Int64? = try row.decode(at: 5)
        let storedFund: String = try row.decode(at: 3)
        let fields: [(String, String, String)] = [
            ("type", try row.decode(at: 1), event.type.rawValue),
            ("facility_id", try row.decode(at: 2), event.facilityID ?? ""),
            ("fund", storedFund, event.fund ?? storedFund),
            ("date", (try row.decode(CivilDate.self, at: 4)).description, event.date.description),
            ("currency", currency.code, event.currency?.code ?? currency.code),
            ("amount", event.amount == nil || event.type == .accrue ? "" : storedAmount.map { Money(minorUnits: $0, currency: currency).formatted } ?? "",
             event.type == .accrue ? "" : event.amount.map { Money(minorUnits: $0, currency: currency).formatted } ?? ""),
            ("reference", try row.decode(at: 7), event.reference),
            ("memo", try row.decode(at: 8), event.memo),
        ]
        if let d = fields.first(where: { $0.1 != $0.2 }) {
            throw LedgerError.idempotencyConflict(eventKey: event.id, field: d.0, existing: d.1, requested: d.2)
        }
        return PostResult(entryID: try row.decode(at: 0), eventKey: event.id, status: .existing)
    }

}

extension [Step<Int64>] {
    /// Adds `delta` to the step function from `date` on, with a step starting that day.
    mutating func add(_ delta: Int64, from date: CivilDate) {
        let i = firstIndex { $0.date >= date } ?? endIndex
        if i == endIndex || self[i].date != date { insert(Step(date, (i == startIndex ? 0 : self[i - 1].value)), at: i) }
        for j in i..<endIndex { self[j].value += delta }
    }
}
