import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// The books as of each of `dates` and as known at `knownAt` (nil: everything recorded), read
    /// in one repeatable-read snapshot so that the dates agree with each other.
    ///
    /// Cost: the balances follow facilities × accounts (closed months come from month rows);
    /// the event sums read the facility events dated up to each date.
    public func exposureBooks(on dates: [CivilDate], knownAt: Instant?) throws -> ExposureBooks {
        try connection.transaction(.repeatableRead, readOnly: true) { tx in
            var figures: [CivilDate: [String: FacilityFigures]] = [:]
            for date in Set(dates) { figures[date] = try Self.figures(tx, asOf: date, knownAt: knownAt) }
            return ExposureBooks(
                facilities: try Self.facilities(tx, knownAt: knownAt), fxRates: try Self.fxRates(tx, knownAt: knownAt),
                limitConfigs: try Self.limitConfigs(tx, knownAt: knownAt), figures: figures)
        }
    }

    /// Every facility's figures as of `asOf` as known at `knownAt`: the event sums (obligated,
    /// deobligated, disbursed, principal repaid) of events dated by then, and the balances of the
    /// accounts a position holds; only `facility`'s when given.
    static func figures(_ db: Connection, asOf: CivilDate, knownAt: Instant?, facility: String? = nil) throws -> [String: FacilityFigures] {
        var figures: [String: FacilityFigures] = [:]
        for row in try db.query(
            """
            SELECT ev.facility_id, ev.event_type, sum(ev.amount_minor)::bigint,
                   sum(CASE WHEN ev.event_type IN ('repay', 'repay-principal') THEN
                       (SELECT sum(l.amount_minor) FROM ledger.journal_line l
                         WHERE l.entry_id = ev.entry_id AND l.account = '135000' AND l.side = 'credit') END)::bigint
              FROM ledger.event ev JOIN ledger.journal_entry e ON e.entry_id = ev.entry_id
             WHERE ev.facility_id IS NOT NULL AND ev.effective_date <= \(asOf) AND (\(facility)::text IS NULL OR ev.facility_id = \(facility)::text)
               AND (\(knownAt)::timestamptz IS NULL OR e.recorded_at <= \(knownAt)::timestamptz)
             GROUP BY 1, 2
            """)
        {
            let id = try row.decode(String.self, at: 0)
            figures[id, default: FacilityFigures()].position.add(event: try row.decode(at: 1), total: try row.decode(Int64?.self, at: 2) ?? 0)
            figures[id, default: FacilityFigures()].principalRepaid += try row.decode(Int64?.self, at: 3) ?? 0
        }
        for row in try balanceRows(db, asOf: asOf, knownAt: knownAt, facility: facility, byFacility: true, accounts: FacilityPosition.accounts) {
            figures[try row.decode(String.self, at: 3), default: FacilityFigures()].position.add(account: try row.decode(at: 0), balance: try row.decode(at: 4))
        }
        return figures
    }
}
