import Dates
import Foundation
import Ledger
import Postgres

/// What a month-end run did for one facility.
public struct AccrualResult: Sendable, Hashable {
    public enum Status: String, Sendable { case created, existing, nothing }
    public var facilityID: String
    public var status: Status
    public var entryID: Int64?
    public var amount: Money?
    public var from: CivilDate?
    public var to: CivilDate?
}

extension LedgerStore {
    /// The posting rules, as the database holds them.
    public func postingRules() throws -> [PostingRule] {
        try Self.postingRules(connection)
    }

    static func postingRules(_ db: Connection) throws -> [PostingRule] {
        try db.query("SELECT event_type, instrument, funds, line_no, account, side, component FROM ledger.posting_rule ORDER BY event_type, instrument, line_no").map { row in
            let type: String = try row.decode(at: 0)
            let instrument: String = try row.decode(at: 1)
            guard let eventType = EventType(rawValue: type) else { throw LedgerError.refusedByDatabase("posting rule for unknown event type \(type)") }
            return PostingRule(
                eventType: eventType, instrument: Instrument(rawValue: instrument), funds: try row.decode(at: 2), lineNo: try row.decode(at: 3),
                account: try row.decode(at: 4), side: try row.decode(at: 5), component: try row.decode(at: 6))
        }
    }

    /// Records one event: its entry by the posting rules, after every business rule, in one
    /// transaction. Idempotent by event id.
    @discardableResult
    public func record(_ event: Event) throws -> PostResult {
        let chart = try self.chart()
        return try connection.transaction { tx in try EventContext(tx, chart: chart).record(event, accrual: nil) }
    }

    /// Records events all or nothing, in (date, given) order; a failure names the event's
    /// `location` in `file` (`LocatedError`). `progress` is called after each event.
    @discardableResult
    public func record(_ events: [(location: String, event: Event)], file: String, progress: ((Int) -> Void)? = nil) throws -> [PostResult] {
        let ordered = events.enumerated().sorted { ($0.element.event.date, $0.offset) < ($1.element.event.date, $1.offset) }.map(\.element)
        return try record(ordered: ordered, file: file, progress: progress)
    }

    /// Records events already in the order they apply (an `EventFile`, say), all or nothing. The
    /// events are read twice (their keys, then each in turn), never kept; `keys`, when given, are
    /// those of `events` gathered already (`EventFile.read`), and they are read once.
    @discardableResult
    public func record<C: Collection>(
        ordered events: C, keys: consuming EventKeys? = nil, file: String, progress: ((Int) -> Void)? = nil
    ) throws -> [PostResult]
    where C.Element == (location: String, event: Event) {
        let chart = try self.chart()
        var gathered = consume keys  // for the first attempt: a retried transaction reads the events again
        return try connection.transaction { tx in
            let context = try EventContext(tx, chart: chart)
            // Before any event is checked: which of its ids exist already (a query per 10,000) or
            // come twice in it — only those are compared with what is recorded —, and every fund
            // and facility it touches, locked next in one order (funds, then facilities): two files
            // that share a fund serialize there instead of deadlocking later. What the facility
            // locks protect is then read for all of them at once. The keys are let go after this.
            do {
                let keys = gathered ?? EventKeys(events.lazy.map(\.event))
                gathered = nil
                var known: Set<String> = []
                var ids: [String] = []
                func findKnown() throws {
                    for row in try tx.query("SELECT event_key FROM ledger.journal_entry WHERE event_key = ANY (\(ArrayLiteral(ids).literal)::text[])") {
                        known.insert(try row.decode(at: 0))
                    }
                    ids.removeAll(keepingCapacity: true)
                }
                for id in keys.ids {
                    ids.append(id)
                    if ids.count == 10_000 { try findKnown() }
                }
                try findKnown()
                var funds = keys.funds
                var touched: [Facility] = []
                for id in keys.facilityIDs {
                    guard let f = context.facilities[id] else { continue }  // refused when its event is checked
                    funds.insert("\(f.instrument.fund)|\(f.currency.code)")
                    touched.append(f)
                }
                context.knownKeys = known
                context.repeatedKeys = keys.repeated
                try context.lockFunds(funds)
                try context.lockAll(touched)
            }
            // Checked one by one in order, written a few thousand at a time.
            try context.startBatching()
            var results: [PostResult] = []
            results.reserveCapacity(events.count)  // no doubling (and no two copies at once) on a large file
            var waiting: [String: Int] = [:]  // key of an entry not written yet -> its result
            context.sourceFile = file
            func fill(_ written: [String: Int64]) {
                for (key, id) in written { if let i = waiting.removeValue(forKey: key) { results[i].entryID = id } }
            }
            for item in events {
                do {
                    let result = try context.record(item.event, accrual: nil)
                    if result.status == .created && result.entryID == 0 { waiting[result.eventKey] = results.count }
                    results.append(result)
                } catch let error as LocatedError {
                    throw error  // a batch written earlier, named by its own rows
                } catch let error as PostgresError where !error.isAboutTheData {
                    // Not about this row's data (a lost connection, a retryable failure, a missing
                    // right, a timeout): as it is, with its own exit code.
                    throw error
                } catch {
                    throw LocatedError(file: file, location: item.location, underlying: error)
                }
                if context.pending.count >= EventContext.batchSize {
                    try context.flush(label: "the rows up to \(item.location)")
                    fill(try context.takeWritten(wait: false))
                }
                progress?(results.count)
            }
            try context.flush(label: "the last rows")
            fill(try context.takeWritten())
            return results
        }
    }

    /// Accrues interest for `month` on every direct loan (DESIGN.md §4): one entry per facility,
    /// `accrual:<facility>:<YYYY-MM>`, dated the month's last day, up to the first day of the next
    /// month. Running it again posts nothing new; a closed month is refused.
    public func monthEnd(_ month: YearMonth) throws -> [AccrualResult] {
        let chart = try self.chart()
        if chart.closedMonths.contains(month) {
            throw LedgerError.periodState(month: month.description, reason: "is closed: month-end cannot post into it (reopen it with a reason first)")
        }
        return try connection.transaction { tx in
            let context = try EventContext(tx, chart: chart)
            let loans = context.sortedFacilities.filter(\.instrument.bearsInterest)
            let keys = loans.map { Accrual.eventKey(facility: $0.id, month: month) }
            // Everything month-end reads, locked first and then read in a few set queries (not per
            // facility): the loans' funds and the loans themselves, in the same order as events.
            try context.lockAll(loans)
            let existing = try context.entryIDs(of: keys)
            try context.startBatching()
            var results: [AccrualResult] = []
            for (facility, key) in zip(loans, keys) {
                if let id = existing[key] {
                    results.append(AccrualResult(facilityID: facility.id, status: .existing, entryID: id))
                    continue
                }
                let to = month.next.firstDay
                guard let accrual = try context.accrual(facility, to: to), accrual.result.amount > 0 else {
                    results.append(AccrualResult(facilityID: facility.id, status: .nothing))
                    continue
                }
                let event = Event(
                    id: key, date: month.lastDay, facilityID: facility.id, fund: facility.instrument.fund, type: .accrue,
                    amount: accrual.result.amount, currency: facility.currency, memo: "month-end accrual \(month)")
                let posted = try context.record(event, accrual: accrual)
                results.append(
                    AccrualResult(
                        facilityID: facility.id, status: posted.status == .created ? .created : .existing, entryID: posted.entryID,
                        amount: Money(minorUnits: accrual.result.amount, currency: facility.currency), from: accrual.from, to: to))
                if context.pending.count >= EventContext.batchSize { try context.flush() }
            }
            try context.flush()
            let written = try context.takeWritten()
            return results.map { r in
                var r = r
                if r.status == .created, r.entryID == 0 { r.entryID = written[Accrual.eventKey(facility: r.facilityID, month: month)] }
                return r
            }
        }
    }
}

/// What recording events needs, read once per transaction.
final class EventContext {
    /// The transaction's connection. Statements go through `tx`, which first reads the batch in
    /// flight: a batch that failed is reported as itself, not as the statement after it.
    private let connection: Connection
    var tx: Connection {
        get throws {
            try settle()
            return connection
        }
    }
    /// The connection for reading the balance tables: a batch's balances wait in the database
    /// until its transaction commits (Schema/0004_balances.sql), so the batches written since the last read
    /// are folded in first.
    var balancesTx: Connection {
        get throws {
            let db = try tx
            if unfolded {
                try db.execute("SELECT ledger.fold_balances()")
                unfolded = false
            }
            return db
        }
    }
    private var unfolded = false
    let chart: LedgerStore.Chart
    let rules: [PostingRule]
    let facilities: [String: Facility]
    let limitConfigs: [LimitConfig]
    let fxRates: [String: [Step<ExactDecimal>]]
    /// Every facility's position, kept current as events are recorded (limits need them all):
    /// read at the first need (`loadPositions`), or by `lockAll` under its locks, which then
    /// need not read them twice.
    var positions: [String: FacilityPosition] = [:]
    private var positionsLoaded = false
    /// Facilities sorted by id, and those not in USD.
    let sortedFacilities: [Facility]
    let foreignFacilities: [Facility]
    /// The exposure sums of the USD facilities, kept current by `setPosition`; the others' for
    /// the last date asked, until one of them changes.
    var usdTotals = ExposureTotals()
    var foreignTotals: (date: CivilDate, totals: ExposureTotals)?
    /// What this transaction has locked, and so may read once and then keep current itself: the
    /// advisory locks it holds, facilities' positions and accrual ends, control-account balances.
    var lockedFunds: Set<String> = []
    var lockedFacilities: Set<String> = []
    var accruedTo: [String: CivilDate?] = [:]
    var controlBalances: [String: Int64] = [:]
    /// Event ids already in the journal (for a batch: found in one query); nil = ask per event.
    var knownKeys: Set<String>?
    /// The ids that come more than once in a batch: those recorded are added to `knownKeys`
    /// (nil: every one recorded is).
    var repeatedKeys: Set<String>?
    /// Principal (135000) by day, per locked facility, when read for many at once (month-end).
    var principalSteps: [String: [Step<Int64>]] = [:]
    /// Rate resets per index, read once.
    var resets: [String: [RateReset]] = [:]
    /// With `batching`, checked entries wait here and are written together by `flush()`
    /// (`ledger.post_entry_columns`); their ids wait in `written` until `takeWritten()`.
    private(set) var batching = false
    var pending: [(entry: NewEntry, event: EventRow)] = []
    var pendingKeys: Set<String> = []
    private var written: [String: Int64] = [:]
    /// The batch `flush()` sent and whose ids are not read yet: the server writes it while the
    /// next one is checked. `label` says where it ends in `sourceFile`, for its errors.
    private var inFlight: (statement: Connection.Sent, firstKey: String, label: String?)?
    var sourceFile: String?
    static let batchSize = 5_000

    init(_ tx: Connection, chart: LedgerStore.Chart) throws {
        self.connection = tx
        self.chart = chart
        rules = try LedgerStore.postingRules(tx)
        facilities = Dictionary(
            uniqueKeysWithValues: try LedgerStore(connection: tx).facilities().map { ($0.id, $0) })
        limitConfigs = try LedgerStore.limitConfigs(tx)
        fxRates = try LedgerStore.fxRates(tx)
        sortedFacilities = facilities.values.sorted { $0.id < $1.id }
        foreignFacilities = sortedFacilities.filter { $0.currency.code != "USD" }
    }

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

    /// An accrual computed for a facility: [from, to) and its result.
    struct ComputedAccrual {
        var from: CivilDate
        var to: CivilDate
        var result: Accrual.Result
    }

    /// The interest on `facility` from the end of its last accrual (or its first principal) up to
    /// `to`; nil when it has never had principal.
    func accrual(_ facility: Facility, to: CivilDate) throws -> ComputedAccrual? {
        guard let terms = facility.terms else { return nil }
        let steps = try principalSteps[facility.id] ?? readPrincipalSteps(facility.id)[facility.id] ?? []
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

    /// The principal (135000) of one facility, or of every facility, as a step function by day.
    func readPrincipalSteps(_ facilityID: String?) throws -> [String: [Step<Int64>]] {
        var steps: [String: [Step<Int64>]] = [:]
        var running: [String: Int64] = [:]
        for row in try balancesTx.query(
            """
            SELECT facility_id, day, sum(debit_minor - credit_minor)::bigint FROM ledger.balance_day
             WHERE account = '135000' AND facility_id <> '' AND (\(facilityID)::text IS NULL OR facility_id = \(facilityID)::text)
             GROUP BY facility_id, day ORDER BY facility_id, day
            """)
        {
            let id: String = try row.decode(at: 0)
            running[id, default: 0] += try row.decode(Int64.self, at: 2)
            steps[id, default: []].append(Step(try row.decode(at: 1), running[id]!))
        }
        return steps
    }

    /// Locks funds (`FUND|CURRENCY`) not yet held, in sorted order.
    func lockFunds(_ keys: Set<String>) throws {
        for key in keys.subtracting(lockedFunds).sorted() {
            try tx.execute("SELECT pg_advisory_xact_lock(7306003, hashtext(\(key)))")
            lockedFunds.insert(key)
        }
    }

    /// Locks the facilities' funds and then the facilities (in id order, one statement), and
    /// reads what those locks protect for all of them at once: positions, accrual ends, principal.
    func lockAll(_ list: [Facility]) throws {
        try lockFunds(Set(list.map { "\($0.instrument.fund)|\($0.currency.code)" }))
        let ids = list.map(\.id).filter { !lockedFacilities.contains($0) }
        guard !ids.isEmpty else { return }
        try tx.execute("SELECT count(pg_advisory_xact_lock(7306004, hashtext(id))) FROM (SELECT unnest(\(ArrayLiteral(ids).literal)::text[]) AS id ORDER BY 1) ids")
        lockedFacilities.formUnion(ids)
        let fresh = try readPositions(nil)
        try loadPositions(fresh)
        var ends: [String: CivilDate] = [:]
        for row in try tx.query("SELECT facility_id, max(accrued_to) FROM ledger.event WHERE accrued_to IS NOT NULL GROUP BY 1") {
            ends[try row.decode(String.self, at: 0)] = try row.decode(at: 1)
        }
        let steps = try readPrincipalSteps(nil)
        for id in ids {
            try setPosition(id, fresh[id] ?? FacilityPosition())
            accruedTo[id] = .some(ends[id])
            principalSteps[id] = steps[id] ?? []
        }
    }

    /// The entry ids of those event keys that exist (one query), and notes them as known.
    func entryIDs(of keys: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        for row in try tx.query("SELECT event_key, entry_id FROM ledger.journal_entry WHERE event_key = ANY (\(ArrayLiteral(keys).literal)::text[])") {
            found[try row.decode(at: 0)] = try row.decode(at: 1)
        }
        knownKeys = (knownKeys ?? []).union(found.keys)
        return found
    }

    func lastAccruedTo(_ facilityID: String) throws -> CivilDate? {
        if let cached = accruedTo[facilityID] { return cached }
        let value = try tx.query("SELECT max(accrued_to) FROM ledger.event WHERE facility_id = \(facilityID)").first?.decode(CivilDate?.self, at: 0)
        // Only a locked facility's accrual end cannot change under us.
        if lockedFacilities.contains(facilityID) { accruedTo[facilityID] = value }
        return value
    }

    /// Records one event inside the transaction: idempotency, the facility's rules, the posting
    /// rules, the business rules, then the entry and the event row.
    func record(_ event: Event, accrual precomputed: ComputedAccrual?) throws -> PostResult {
        // A waiting entry with the same id, or an accrual that reads principal from the database:
        // write what waits first.
        if pendingKeys.contains(event.id) || (event.type == .accrue && precomputed == nil) { try flush() }
        if knownKeys?.contains(event.id) ?? true, let existing = try existingEvent(event) { return existing }
        let key = event.id
        guard event.date <= CivilDate.todayUTC().adding(days: 366) else {
            throw LedgerError.businessRule(eventKey: key, rule: "effective date within a year", detail: "\(event.date) is more than 366 days after today")
        }
        let fund: String
        let currency: Currency
        var instrument: Instrument?
        var facility: Facility?
        if event.type.isFundLevel {
            guard let f = event.fund, chart.funds.contains(f) else {
                throw InputError(file: "event \(key)", field: "fund", value: event.fund ?? "", reason: "not a known fund")
            }
            guard let c = event.currency else { throw InputError(file: "event \(key)", field: "currency", value: "", reason: "a fund-level event names its currency") }
            fund = f
            currency = c
        } else {
            guard let id = event.facilityID, let f = facilities[id] else {
                throw InputError(file: "event \(key)", field: "facility_id", value: event.facilityID ?? "", reason: "no such facility (import it first)")
            }
            guard EventType.accepted(by: f.instrument).contains(event.type) else {
                throw LedgerError.businessRule(
                    eventKey: key, rule: "events a \(f.instrument.rawValue) accepts",
                    detail: "\(event.type.rawValue) is not one of \(EventType.accepted(by: f.instrument).map(\.rawValue).joined(separator: ", "))")
            }
            if let given = event.fund, given != f.instrument.fund {
                throw InputError(file: "event \(key)", field: "fund", value: given, reason: "facility \(id) posts to fund \(f.instrument.fund)")
            }
            if let given = event.currency, given != f.currency {
                throw InputError(file: "event \(key)", field: "currency", value: given.code, reason: "facility \(id) is in \(f.currency.code)")
            }
            fund = f.instrument.fund
            currency = f.currency
            instrument = f.instrument
            facility = f
        }
        let rules = rules.filter { $0.eventType == event.type && $0.instrument == instrument }
        guard !rules.isEmpty else {
            throw LedgerError.businessRule(eventKey: key, rule: "a posting rule for the event", detail: "no posting rule for \(event.type.rawValue)\(instrument.map { " on a \($0.rawValue)" } ?? "")")
        }
        if let bad = rules.first(where: { !$0.allows(fund: fund) }) {
            throw LedgerError.businessRule(eventKey: key, rule: "funds a \(event.type.rawValue) may name", detail: "fund \(fund) is not \(bad.funds)")
        }

        // Lock what the checks read, always in the same order: the fund, then the facility. Held
        // to the end of the transaction, so what is read after locking stays true in it, and this
        // context keeps it current itself.
        let fundKey = fund + "|" + currency.code
        if !lockedFunds.contains(fundKey) {
            try tx.execute("SELECT pg_advisory_xact_lock(7306003, hashtext(\(fundKey)))")
            lockedFunds.insert(fundKey)
        }
        if let facility, !lockedFacilities.contains(facility.id) {
            try tx.execute("SELECT pg_advisory_xact_lock(7306004, hashtext(\(facility.id)))")
            try setPosition(facility.id, try self.position(facility.id))
            lockedFacilities.insert(facility.id)
        }

        var position = FacilityPosition()
        var accrual = precomputed
        if let facility {
            try loadPositions()
            position = positions[facility.id] ?? FacilityPosition()
            if facility.instrument.bearsInterest, let accruedTo = try lastAccruedTo(facility.id) {
                let movesPrincipal: Set<EventType> = [.disburse, .repay, .repayPrincipal, .capitalizeInterest, .writeOff]
                if movesPrincipal.contains(event.type) && event.date < accruedTo || event.type == .accrue && event.date <= accruedTo && precomputed == nil {
                    throw LedgerError.businessRule(
                        eventKey: key, rule: "no event inside an accrued period",
                        detail: "interest on \(facility.id) is accrued up to \(accruedTo); date the \(event.type.rawValue) on or after it")
                }
            }
            if event.type == .accrue && accrual == nil {
                accrual = try self.accrual(facility, to: event.date)
                guard accrual != nil else {
                    throw LedgerError.businessRule(eventKey: key, rule: "accrual computed by the ledger", detail: "\(facility.id) has no principal to accrue on before \(event.date)")
                }
            }
        }
        let components = try PostingEngine.components(for: event, position: position, currency: currency, accrued: accrual?.result.amount)
        let description = ([event.type.rawValue, event.facilityID ?? "fund \(fund)", event.reference, event.memo].filter { !$0.isEmpty }).joined(separator: " · ")
        let entry = try PostingEngine.entry(
            for: event, fund: fund, facilityID: event.facilityID, currency: currency, rules: rules, components: components,
            description: String(description.prefix(Journal.descriptionLengthMax)))
        try Journal.validate(entry, accounts: chart.accounts, funds: chart.funds)
        if chart.closedMonths.contains(YearMonth(event.date)) { throw LedgerError.periodClosed(month: YearMonth(event.date).description, eventKey: key) }
        try PostingEngine.checkControlAccounts(entry) { account, fund, currency in
            try controlBalance(account, fund, currency)
        }
        // Limits (DOMAIN.md §2) at the event's date: a blocking limit this event takes over its cap
        // refuses it; a warning one is reported with the result.
        var warnings: [String] = []
        var after: FacilityPosition?
        if let facility {
            let next = position.applying(entry, type: event.type, amount: event.amount)
            after = next
            // Only an event that adds exposure or net obligation can take a limit over its cap.
            if Limits.exposure(facility.instrument, next) > Limits.exposure(facility.instrument, position)
                || next.obligated - next.deobligated > position.obligated - position.deobligated
            {
                let configs = Limits.inEffect(limitConfigs, on: event.date)
                let totals = try self.totals(on: event.date, for: key)
                let rowBefore = try exposureRow(facility, position, on: event.date, for: key)
                let rowAfter = try exposureRow(facility, next, on: event.date, for: key)
                let before = Limits.evaluate(configs, totals, only: rowBefore)
                let afterStatus = Limits.evaluate(configs, totals.replacing(rowBefore, with: rowAfter), only: rowAfter)
                for crossing in Limits.crossings(before: before, after: afterStatus) {
                    let detail = "\(crossing.limit): \(usd(crossing.used)) would be used of a cap of \(usd(crossing.cap)), \(usd(crossing.used - crossing.cap)) over"
                    if crossing.severity == .block {
                        throw LedgerError.businessRule(eventKey: key, rule: "limit \(crossing.limit)", detail: detail)
                    }
                    warnings.append("limit \(detail)")
                }
            }
        }
        // Entry, lines and event in one statement (one round trip); the journal's triggers check
        // it all again.
        let row = EventRow(
            event_id: key, event_type: event.type.rawValue, facility_id: event.facilityID, fund: fund, effective_date: event.date.description,
            amount_minor: event.type == .accrue ? accrual?.result.amount : event.amount, currency: currency.code, reference: event.reference,
            memo: event.memo, accrued_from: event.type == .accrue ? accrual?.from.description : nil,
            accrued_to: event.type == .accrue ? accrual?.to.description : nil)
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
        if let facility, let after {
            try setPosition(facility.id, after)
            if after.principal != position.principal { principalSteps[facility.id] = nil }
        }
        if event.type == .accrue, let facility, let to = accrual?.to { accruedTo[facility.id] = to }
        for line in entry.lines where PostingEngine.controlAccounts[line.account] != nil {
            let k = "\(line.account)|\(line.fund)|\(line.amount.currency.code)"
            if let b = controlBalances[k] { controlBalances[k] = b + (line.side == .debit ? line.amount.minorUnits : -line.amount.minorUnits) }
        }
        return PostResult(entryID: entryID, eventKey: key, status: .created, warnings: warnings)
    }

    private func usd(_ minor: Int64) -> String { Money(minorUnits: minor, currency: .usd).formatted + " USD" }

    /// The ids of the entries written since the last call, by event key; with `wait`, also those
    /// of the batch in flight.
    func takeWritten(wait: Bool = true) throws -> [String: Int64] {
        if wait { try settle() }
        defer { written.removeAll(keepingCapacity: true) }
        return written
    }

    /// From here on, entries wait to be written in batches. The statements a batch runs are
    /// costed high enough to be compiled (JIT: ~17 ms for one of them per batch, more than it
    /// runs), so JIT is off for the rest of the transaction.
    func startBatching() throws {
        try tx.execute("SET LOCAL jit = off")
        batching = true
    }

    /// Sends the waiting entries in one call, once the batch before them is written; their ids
    /// are read by the next flush, `settle()` or statement. Everything was checked before they were
    /// queued; the database checks them again. `label` names where they end, for their errors.
    func flush(label: String? = nil) throws {
        guard let first = pending.first else { return try settle() }
        var columns = PostingColumns()
        for p in pending { columns.append(p.entry, event: p.event) }
        try settle()  // written while this batch was checked and encoded
        let statement = try connection.send(columns.call)
        inFlight = (statement, first.entry.eventKey, label)
        unfolded = true
        pending.removeAll(keepingCapacity: true)
        pendingKeys.removeAll(keepingCapacity: true)
    }

    /// Reads the ids of the batch in flight, if there is one, waiting for the server. An error
    /// about the batch's data names the batch (`sourceFile`, its label).
    func settle() throws {
        guard let batch = inFlight else { return }
        inFlight = nil
        do {
            for row in try connection.wait(batch.statement) {
                written[try row.decode(at: 0)] = try row.decode(at: 1)
            }
        } catch let error as PostgresError {
            let underlying: any Error
            if error.code?.rawValue == "LX002" {
                underlying = LedgerError.periodClosed(month: "of an entry in this batch", eventKey: batch.firstKey)
            } else if error.isAboutTheData {
                underlying = error
            } else {
                throw error  // not about the batch's data (a lost connection, a retryable failure): as it is
            }
            guard let sourceFile, let label = batch.label else { throw underlying }
            throw LocatedError(file: sourceFile, location: label, underlying: underlying)
        }
    }

    /// A control account's balance in a fund and currency: read once under the fund's lock, then
    /// kept current by this context.
    func controlBalance(_ account: String, _ fund: String, _ currency: Currency) throws -> Int64 {
        let k = "\(account)|\(fund)|\(currency.code)"
        if let b = controlBalances[k] { return b }
        var b: Int64 = 0
        for row in try LedgerStore.balanceRows(balancesTx, asOf: .latest, fund: fund, account: account, byFacility: false)
        where try row.decode(String.self, at: 2) == currency.code {
            b += try row.decode(Int64.self, at: 4)
        }
        if lockedFunds.contains("\(fund)|\(currency.code)") { controlBalances[k] = b }
        return b
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

    /// The facility's position: event sums and account balances, read afresh under its lock.
    func position(_ facilityID: String) throws -> FacilityPosition {
        try readPositions(facilityID)[facilityID] ?? FacilityPosition()
    }

    /// Positions from event sums (less the events reversed) and account balances: of one facility,
    /// or (nil) of every one.
    func readPositions(_ facilityID: String?) throws -> [String: FacilityPosition] {
        var positions: [String: FacilityPosition] = [:]
        for row in try tx.query(
            """
            SELECT facility_id, event_type, sum(amount_minor)::bigint FROM ledger.event
             WHERE facility_id IS NOT NULL AND amount_minor IS NOT NULL AND (\(facilityID)::text IS NULL OR facility_id = \(facilityID)::text)
             GROUP BY 1, 2
            UNION ALL
            SELECT ev.facility_id, ev.event_type, -sum(ev.amount_minor)::bigint
              FROM ledger.journal_entry r JOIN ledger.event ev ON ev.entry_id = r.reverses
             WHERE r.reverses IS NOT NULL AND ev.facility_id IS NOT NULL AND ev.amount_minor IS NOT NULL
               AND (\(facilityID)::text IS NULL OR ev.facility_id = \(facilityID)::text)
             GROUP BY 1, 2
            """)
        {
            positions[try row.decode(String.self, at: 0), default: FacilityPosition()].add(event: try row.decode(at: 1), total: try row.decode(at: 2))
        }
        for row in try LedgerStore.balanceRows(
            balancesTx, asOf: .latest, facility: facilityID, byFacility: true, accounts: FacilityPosition.accounts)
        {
            positions[try row.decode(String.self, at: 3), default: FacilityPosition()].add(account: try row.decode(at: 0), balance: try row.decode(at: 4))
        }
        return positions
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
