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

    /// Every facility's figures as of `asOf` (`.latest`: all of them) as known at `knownAt` (only
    /// `facility`'s when given): the event sums (obligated, deobligated, disbursed, principal
    /// repaid) of events dated by then, less those reversed by then (`ledger.event_effect`), and
    /// the balances of the accounts a position holds.
    ///
    /// Cost follows facilities, not the journal nor the month's activity: the event sums are read
    /// as the balances are (`SummarizedRead`) from the all-time, month and day sums kept up to the
    /// watermark (Schema/0012_summaries.sql), and only the events of the entries past it
    /// (committed since the sealer's last run) and, with `knownAt`, of those recorded after it, one
    /// by one.
    static func figures(_ db: Connection, asOf: CivilDate, knownAt: Instant?, facility: String? = nil) throws -> [String: FacilityFigures] {
        var figures: [String: FacilityFigures] = [:]
        // Written into the statement only when asked: a filter that may be null keeps the planner
        // from the facility's index and costs a branch it never takes.
        func onFacility(_ alias: String) -> SQL { facility.map { "AND \(unsafeSQL: alias).facility_id = \($0)" } ?? "" }
        let read = SummarizedRead(asOf)
        let sums = read.rows(
            of: "event", key: ["facility_id", "event_type"], columns: ["amount_minor", "principal_credit_minor"], values: ["amount": "amount_minor", "principal": "principal_credit_minor"], keys: onFacility)
        // As known at a time: everything, less the events of entries recorded later.
        let recordedLater: SQL =
            knownAt == nil
            ? ""
            : """
                UNION ALL
                SELECT x.facility_id, x.event_type, -x.amount_minor, -x.principal_credit_minor
                  FROM ledger.event_effect x
                 WHERE x.recorded_at > \(knownAt)::timestamptz AND x.effective_date <= \(asOf)::date \(onFacility("x"))
                """
        let query: SQL =
            "SELECT facility_id, event_type, sum(amount)::bigint, sum(principal)::bigint FROM (\n"
            + sums
            + """

                UNION ALL
                SELECT x.facility_id, x.event_type, x.amount_minor, x.principal_credit_minor
                  FROM ledger.unsummarized_events(\(read.pastWatermarkBefore)::date) x WHERE true \(onFacility("x"))

            """
            + recordedLater
            + """
            ) x
             GROUP BY 1, 2
            """
        for row in try db.query(query) {
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
