import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// The books as of each of `dates` and as known at `knownAt` (nil: everything recorded), read
    /// in one repeatable-read snapshot so that the dates agree with each other.
    ///
    /// Cost follows facilities and dates, not history (see `figures`).
    public func exposureBooks(on dates: [CivilDate], knownAt: Instant?) throws -> ExposureBooks {
        try connection.transaction(.repeatableRead, readOnly: true) { tx in
            try Self.noJIT(tx)
            var figures: [CivilDate: [String: FacilityFigures]] = [:]
            for date in Set(dates) { figures[date] = try Self.figures(tx, asOf: date, knownAt: knownAt) }
            var books = ExposureBooks(
                facilities: try Self.facilities(tx, knownAt: knownAt), fxRates: try Self.fxRates(tx, knownAt: knownAt),
                limitConfigs: try Self.limitConfigs(tx, knownAt: knownAt), figures: figures)
            if let last = dates.max() { books.pending = try Self.pendingDisbursements(tx, asOf: last, knownAt: knownAt) }
            return books
        }
    }

    /// Every facility's figures as of `asOf` as known at `knownAt` (only `facility`'s when given):
    /// the event sums (obligated, deobligated, disbursed, principal repaid) of events dated by
    /// then, less those reversed by then (`ledger.event_effect`), and the balances of the accounts
    /// a position holds.
    ///
    /// Cost follows facilities and days, not history: closed months' event sums come whole from
    /// `event_month`, other months' days from `event_day` (Schema/0007_events_and_posting_rules.sql); only the events of
    /// entries past the summary's watermark (committed since the sealer's last run) are read one
    /// by one, and with `knownAt` those of the entries recorded after it.
    static func figures(_ db: Connection, asOf: CivilDate, knownAt: Instant?, facility: String? = nil) throws -> [String: FacilityFigures] {
        var figures: [String: FacilityFigures] = [:]
        guard let row = try db.query("SELECT recorded_xid::text, entry_id FROM ledger.event_summary_position").first else {
            throw LedgerError.refusedByDatabase("ledger.event_summary_position has lost its row: the event sums cannot be read (run dfc-ledger verify)")
        }
        let watermark = (xid: try row.decode(String.self, at: 0), entryID: try row.decode(Int64.self, at: 1))
        // Written into the statement only when asked: a filter that may be null keeps the planner
        // from the facility's index and costs a branch it never takes.
        func onFacility(_ alias: String) -> SQL { facility.map { "AND \(unsafeSQL: alias).facility_id = \($0)" } ?? "" }
        // As known at a time: everything, less the events of entries recorded later.
        let recordedLater: SQL =
            knownAt == nil
            ? ""
            : """
                UNION ALL
                SELECT x.facility_id, x.event_type, -x.amount_minor, -x.principal_credit_minor
                  FROM p, ledger.event_effect x
                 WHERE x.recorded_at > \(knownAt)::timestamptz AND x.effective_date <= p.as_of \(onFacility("x"))
                """
        for row in try db.query(
            """
            WITH p AS (
                SELECT \(asOf)::date AS as_of, date_trunc('month', \(asOf)::date + 1)::date AS month_start
            ),
            -- Months whose latest period event is a close, wholly on or before the date: summarized.
            closed AS MATERIALIZED (
                SELECT c.month FROM (SELECT DISTINCT ON (month) month, action FROM ledger.period_event ORDER BY month, period_event_id DESC) c, p
                 WHERE c.action = 'close' AND c.month < p.month_start
            ),
            -- The first day of the first month that is not: day sums from there on.
            unclosed AS MATERIALIZED (
                SELECT least(p.month_start, (
                           SELECT min(m)::date FROM generate_series(date_trunc('month', (SELECT min(effective_date) FROM ledger.journal_entry)),
                                                                   p.month_start - interval '1 month', interval '1 month') m
                            WHERE m::date NOT IN (SELECT month FROM closed))) AS first_day
                  FROM p
            )
            SELECT facility_id, event_type, sum(amount)::bigint, sum(principal)::bigint FROM (
                SELECT s.facility_id, s.event_type, s.amount_minor AS amount, s.principal_credit_minor AS principal
                  FROM ledger.event_month s
                 WHERE s.month IN (SELECT month FROM closed) \(onFacility("s"))
                UNION ALL
                SELECT d.facility_id, d.event_type, d.amount_minor, d.principal_credit_minor
                  FROM p, unclosed o, ledger.event_day d
                 WHERE d.day >= o.first_day AND d.day <= p.as_of AND date_trunc('month', d.day)::date NOT IN (SELECT month FROM closed) \(onFacility("d"))
                UNION ALL
                SELECT x.facility_id, x.event_type, x.amount_minor, x.principal_credit_minor
                  FROM p, ledger.event_effect x
                 -- The watermark as values the planner sees: compared with a joined row or a
                 -- subquery's, it read every entry by date (48 ms at 1M lines) instead of the few
                 -- past it by the chain-order index.
                 WHERE (x.recorded_xid, x.entry_id) > (\(watermark.xid)::xid8, \(watermark.entryID)::bigint)
                   AND x.effective_date <= p.as_of
                   AND date_trunc('month', x.effective_date)::date NOT IN (SELECT month FROM closed) \(onFacility("x"))

            """
            + recordedLater
            + """
            ) x
             GROUP BY 1, 2
            """)
        {
            let id = try row.decode(String.self, at: 0)
            let type = try row.decode(String.self, at: 1)
            figures[id, default: FacilityFigures()].position.add(event: type, total: try row.decode(Int64?.self, at: 2) ?? 0)
            if type == EventType.repay.rawValue || type == EventType.repayPrincipal.rawValue {
                figures[id, default: FacilityFigures()].principalRepaid += try row.decode(Int64?.self, at: 3) ?? 0
            }
        }
        for row in try balanceRows(db, asOf: asOf, knownAt: knownAt, facility: facility, byFacility: true, accounts: FacilityPosition.accounts) {
            figures[try row.decode(String.self, at: 3), default: FacilityFigures()].position.add(account: try row.decode(at: 0), balance: try row.decode(at: 4))
        }
        return figures
    }

    /// Turns JIT compilation off for the rest of a report's transaction. Its reads are many small
    /// indexed steps that the planner costs high (a subquery per row), and then compiling them took
    /// longer than running them: 130 ms of an event-sum query's 172 ms at 100,000 lines.
    static func noJIT(_ tx: Connection) throws {
        try tx.execute("SET LOCAL jit = off")
    }
}
