import Dates
import Foundation
import Ledger
import Postgres

/// What recording events needs, read once per transaction, and the locks it holds: the store's
/// side of the business rules (`EventPolicy`), which gathers their inputs under those locks
/// (EventContext+Positions), calls them and writes what they decide (EventContext+Record).
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
    let chart: LedgerStore.Chart
    let rules: [PostingRule]
    let facilities: [String: Facility]
    let limitConfigs: [LimitConfig]
    let fxRates: [String: [Step<ExactDecimal>]]
    /// Every facility's position, kept current as events are recorded (limits need them all):
    /// read at the first need (`loadPositions`), or by `lockAll` under its locks, which then
    /// need not read them twice.
    var positions: [String: FacilityPosition] = [:]
    var positionsLoaded = false
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
    /// Principal (135000) by day, per facility whose accruals `lockAll` was told this transaction
    /// computes: read once under the locks, then kept current by `record` as its entries move
    /// 135000. Any other facility's accrual writes what waits and reads its principal afresh.
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

    /// Locks funds (`FUND|CURRENCY`) not yet held, in sorted order.
    func lockFunds(_ keys: Set<String>) throws {
        for key in keys.subtracting(lockedFunds).sorted() {
            try tx.execute("SELECT pg_advisory_xact_lock(7306003, hashtext(\(key)))")
            lockedFunds.insert(key)
        }
    }

    /// Locks the facilities' funds and then the facilities (in id order, one statement), and
    /// reads what those locks protect for all of them at once: positions, accrual ends, and the
    /// principal by day of those in `keepingPrincipalOf` (nil: all of them): an import keeps it
    /// only for the facilities its file accrues, not for every facility it moves.
    func lockAll(_ list: [Facility], keepingPrincipalOf accruing: Set<String>? = nil) throws {
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
        let steps = try readPrincipalSteps(accruing.map { Array($0) })
        for id in ids {
            try setPosition(id, fresh[id] ?? FacilityPosition())
            accruedTo[id] = .some(ends[id])
            if accruing?.contains(id) ?? true { principalSteps[id] = steps[id] ?? [] }
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
}
