import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// One facility's books as of `asOf` and as known at `knownAt` (nil: everything recorded);
    /// nil when no such facility was known then. Cost follows the facility's own entries.
    public func facilityBooks(id: String, asOf: CivilDate, knownAt: Instant?) throws -> FacilityBooks? {
        try connection.transaction(.repeatableRead, readOnly: true) { tx in
            try Self.noJIT(tx)
            guard let facility = try Self.facilities(tx, knownAt: knownAt, id: id).first else { return nil }
            let schedule = try facility.terms.map { _ in
                let s = try LedgerStore(connection: tx).schedule(of: facility)
                return (s.schedule, s.annualRate)
            }
            var books = FacilityBooks(
                facility: facility, figures: try Self.figures(tx, asOf: asOf, knownAt: knownAt, facility: id)[id] ?? FacilityFigures(),
                fxRates: try Self.fxRates(tx, knownAt: knownAt), schedule: schedule,
                entries: try Self.facilityEntries(tx, id: id, asOf: asOf, knownAt: knownAt))
            books.pending = try Self.pendingDisbursements(tx, asOf: asOf, knownAt: knownAt, facility: id)
            return books
        }
    }

    /// The entries with a line on facility `id`, dated by `asOf` and recorded by `knownAt`; a
    /// reversal or a seal counts only when it too was there then.
    static func facilityEntries(_ db: Connection, id: String, asOf: CivilDate, knownAt: Instant?) throws -> [FacilityEntry] {
        try db.query(
            """
            WITH p AS (SELECT \(id)::text AS facility, \(asOf)::date AS as_of, \(knownAt)::timestamptz AS known_at),
            mine AS (
                SELECT l.entry_id, min(l.currency) AS currency,
                       sum(l.amount_minor) FILTER (WHERE l.side = 'debit' AND a.account_set = 'proprietary') AS debits
                  FROM ledger.journal_line l JOIN ledger.account a ON a.number = l.account, p
                 WHERE l.facility_id = p.facility
                 GROUP BY l.entry_id
            )
            SELECT e.entry_id, e.effective_date, e.event_key, ev.event_type, coalesce(ev.amount_minor, m.debits, 0)::bigint, m.currency,
                   coalesce(ev.reference, ''), e.description, e.reverses, r.entry_id, s.chain_seq, s.sha256
              FROM mine m JOIN ledger.journal_entry e ON e.entry_id = m.entry_id CROSS JOIN p
              LEFT JOIN ledger.event ev ON ev.entry_id = e.entry_id
              LEFT JOIN ledger.journal_entry r
                ON r.reverses = e.entry_id AND r.effective_date <= p.as_of AND (p.known_at IS NULL OR r.recorded_at <= p.known_at)
              LEFT JOIN ledger.entry_seal s ON s.entry_id = e.entry_id AND (p.known_at IS NULL OR s.sealed_at <= p.known_at)
             WHERE e.effective_date <= p.as_of AND (p.known_at IS NULL OR e.recorded_at <= p.known_at)
             ORDER BY e.effective_date, e.entry_id
            """
        ).map { row in
            let seq = try row.decode(Int64?.self, at: 10)
            let sha = try row.decode(String?.self, at: 11)
            return FacilityEntry(
                entryID: try row.decode(at: 0), date: try row.decode(at: 1), eventKey: try row.decode(at: 2), eventType: try row.decode(at: 3),
                amount: try row.decode(at: 4), currency: try Currency.named(try row.decode(at: 5)), reference: try row.decode(at: 6),
                description: try row.decode(at: 7), reverses: try row.decode(at: 8), reversedBy: try row.decode(at: 9),
                seal: seq.flatMap { seq in sha.map { FacilityEntry.Seal(chainSeq: seq, sha256: $0) } })
        }
    }
}
