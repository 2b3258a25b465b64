import LedgerStore
import Postgres

/// Synthetic books written straight into the ledger's tables, for measuring reads at sizes no one
/// posts by hand: ten million journal lines, a hundred thousand receipts.
///
/// This is the one place outside LedgerStore that writes ledger SQL, and it may: it generates the
/// data Scripts/bench measures reads on, it measures nothing itself. Posted through the ledger, at
/// the posting path's few thousand entries a second, the 10M-line history alone would take most of
/// an hour of every bench run. So the journal's triggers are switched off for the session
/// (`session_replication_role = replica`, a superuser's right), the rows are written in a few set
/// statements, and the summaries are then kept by the summarizer, as after any write command
/// (the triggers write none). The result is books the
/// ledger itself would hold — balanced entries, each with its event — on which `verify` holds once
/// they are sealed (`dfc-bench load-history --seal`).
enum SyntheticHistory {
    /// `entries` two-line entries on `facilities` direct loans (`H0`, `H1`, …) over the 24 months
    /// from December 2024, each with its event (a disbursement, an accrual, an equity call or a
    /// guarantee, by its first line's account), the months before November 2026 closed; added to
    /// any history loaded before.
    static func load(_ db: Connection, entries: Int, facilities: Int) throws {
        let offset = try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry WHERE event_key LIKE 'hist-%'") ?? 0
        let firstNew = (try db.scalar(Int64.self, "SELECT coalesce(max(entry_id), 0) FROM ledger.journal_entry") ?? 0) + 1
        try db.execute(unsafeSQL: "SET session_replication_role = replica")
        try db.transaction { tx in
            try tx.execute(
                """
                INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count)
                SELECT 'hist-' || g, DATE '2024-12-01' + (g % 720)::int, 'history', 2 FROM generate_series(\(offset + 1)::bigint, \(offset + Int64(entries))::bigint) g
                """)
            try tx.execute(
                """
                INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, facility_id, side, amount_minor, currency)
                SELECT e.entry_id, n, CASE n WHEN 1 THEN (ARRAY['135000','134100','169000','920100'])[1 + e.entry_id % 4]
                                            ELSE (ARRAY['101000','101000','101000','921100'])[1 + e.entry_id % 4] END,
                       'FIN-DL', 'H' || (e.entry_id % \(facilities)), CASE n WHEN 1 THEN 'debit' ELSE 'credit' END, 100 + e.entry_id % 100000, 'USD'
                  FROM ledger.journal_entry e, generate_series(1, 2) n
                 WHERE e.entry_id >= \(firstNew)
                """)
            try tx.execute(
                """
                INSERT INTO ledger.facility (facility_id, name, counterparty, instrument, authority, executive_order, country, state, naics,
                    minerals, cohort_fy, currency, obligated_minor, rate, day_count, frequency, amortization, first_payment, maturity, grace_months)
                SELECT 'H' || f, 'History loan ' || f, 'Obligor ' || (f % 97), 'direct-loan', 'BUILD-9621', 'EO 14241 (2025-03-20)', 'US', 'NV',
                       '331410', ARRAY['graphite'], 2025, 'USD', 100000000000, 0.05, 'act-360', 'quarterly', 'level-payment',
                       DATE '2025-03-31', DATE '2034-12-31', 0
                  FROM generate_series(0, \(facilities - 1)) f
                ON CONFLICT (facility_id) DO NOTHING
                """)
            try tx.execute(
                """
                INSERT INTO ledger.event (event_id, entry_id, event_type, facility_id, fund, effective_date, amount_minor, currency)
                SELECT e.event_key, e.entry_id, (ARRAY['disburse','accrue','equity-call','guarantee-issue'])[1 + e.entry_id % 4],
                       'H' || (e.entry_id % \(facilities)), 'FIN-DL', e.effective_date, 100 + e.entry_id % 100000, 'USD'
                  FROM ledger.journal_entry e
                 WHERE e.entry_id >= \(firstNew)
                """)
            try tx.execute(
                """
                INSERT INTO ledger.period_event (month, action, recorded_by)
                SELECT m::date, 'close', session_user FROM generate_series(DATE '2024-12-01', DATE '2026-10-01', interval '1 month') m
                 WHERE NOT EXISTS (SELECT 1 FROM ledger.period_event p WHERE p.month = m::date)
                """)
        }
        try db.execute(
            unsafeSQL: "RESET session_replication_role; ANALYZE ledger.journal_entry; ANALYZE ledger.journal_line; ANALYZE ledger.event")
        // The summaries, as the sealer's run keeps them after every write command; after the
        // ANALYZE, so that it is planned on the new rows' statistics.
        try LedgerStore(connection: db).summarize()
    }

    /// `items` lockbox receipts on FIN-DL's USD cash (101000 against 251000) in November 2026:
    /// entry `rec-k` receives 100 + k cents on day 1 + k % 30.
    static func receipts(_ db: Connection, items: Int) throws {
        try db.execute(unsafeSQL: "SET session_replication_role = replica")
        try db.transaction { tx in
            try tx.execute(
                """
                INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count)
                SELECT 'rec-' || g, DATE '2026-11-01' + (g % 30)::int, 'lockbox receipt', 2 FROM generate_series(1, \(items)) g
                """)
            try tx.execute(
                """
                INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, facility_id, side, amount_minor, currency)
                SELECT e.entry_id, n, CASE n WHEN 1 THEN '101000' ELSE '251000' END, 'FIN-DL', NULL, CASE n WHEN 1 THEN 'debit' ELSE 'credit' END,
                       100 + substr(e.event_key, 5)::bigint, 'USD'
                  FROM ledger.journal_entry e, generate_series(1, 2) n WHERE e.event_key LIKE 'rec-%'
                """)
        }
        try db.execute(unsafeSQL: "RESET session_replication_role; ANALYZE ledger.journal_entry; ANALYZE ledger.journal_line")
        try LedgerStore(connection: db).summarize()
    }
}
