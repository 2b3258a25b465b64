import Dates
import Foundation
import Ledger
import Postgres

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
    /// transaction. Idempotent by event id. When the approval policy covers it, it is proposed
    /// instead (status `proposed`), after the same checks.
    @discardableResult
    public func record(_ event: Event) throws -> PostResult {
        let chart = try self.chart()
        return try connection.transaction { tx in
            try Self.postingOrProposing(tx, { [try EventContext(tx, chart: chart).record(event, accrual: nil)] }) {
                ("events", try ProposalContent.json(ProposalContent(events: [(location: "", event: event)], file: "event \(event.id)")),
                 "\(event.type.rawValue) \(event.id) on \(event.facilityID ?? event.fund ?? ""), dated \(event.date)")
            }[0]
        }
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
    /// those of `events` gathered already (`EventFile.read`), and they are read once. When the
    /// approval policy covers any of them, the whole file is proposed instead, after the same
    /// checks, and is posted whole when approved.
    @discardableResult
    public func record<C: Collection>(
        ordered events: C, keys: consuming EventKeys? = nil, file: String, progress: ((Int) -> Void)? = nil
    ) throws -> [PostResult]
    where C.Element == (location: String, event: Event) {
        let chart = try self.chart()
        var gathered = consume keys  // for the first attempt: a retried transaction reads the events again
        return try connection.transaction { tx in
            let keys = gathered
            gathered = nil
            return try Self.postingOrProposing(tx, { try Self.recordEvents(tx, chart: chart, ordered: events, keys: keys, file: file, progress: progress) }) {
                ("events", try ProposalContent.json(ProposalContent(events: events, file: file)), "import events \(file): \(events.count) event\(events.count == 1 ? "" : "s")")
            }
        }
    }

    /// Records `events` in the transaction `tx` (see `record(ordered:keys:file:progress:)`).
    static func recordEvents<C: Collection>(
        _ tx: Connection, chart: Chart, ordered events: C, keys gathered: EventKeys?, file: String, progress: ((Int) -> Void)? = nil
    ) throws -> [PostResult]
    where C.Element == (location: String, event: Event) {
        do {
            let context = try EventContext(tx, chart: chart)
            // Before any event is checked: which of its ids exist already (a query per 10,000) or
            // come twice in it — only those are compared with what is recorded —, and every fund
            // and facility it touches, locked next in one order (funds, then facilities): two files
            // that share a fund serialize there instead of deadlocking later. What the facility
            // locks protect is then read for all of them at once. The keys are let go after this.
            do {
                let keys = gathered ?? EventKeys(events.lazy.map(\.event))
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
                try context.lockAll(touched, keepingPrincipalOf: keys.accruing)
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
}
