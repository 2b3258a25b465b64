import Dates
import Ledger
import LedgerStore
import Postgres
import Testing
import TestSupport

@Suite struct AuditChainTests {
    /// Three entries posted, sealed and verified.
    private func postThree(_ store: LedgerStore) throws {
        try store.post(entry("a", "2026-10-05", "101000 FIN-DL debit 100.00 USD", "251000 FIN-DL credit 100.00 USD"))
        try store.post(entry("b", "2026-11-05", "135000 FIN-DL debit 60.00 USD", "101000 FIN-DL credit 60.00 USD"))
        try store.post(entry("c", "2026-11-06", "101000 FIN-DL debit 10.00 USD", "135000 FIN-DL credit 10.00 USD"))
        // Summarized, so that their month and total rows exist as well as their day rows
        // (Schema/0012_summaries.sql).
        try store.summarize()
    }

    /// Runs SQL as a superuser that switches the journal's triggers off, as an attacker with
    /// database superuser rights could.
    private func tamper(_ store: LedgerStore, _ sql: String) throws {
        try store.connection.execute(unsafeSQL: "SET session_replication_role = replica")
        defer { try? store.connection.execute(unsafeSQL: "RESET session_replication_role") }
        try store.connection.execute(unsafeSQL: sql)
    }

    @Test func sealsInRecordingOrderAndVerifies() throws {
        try withLedger { store, _ in
            var report = try store.verify()
            #expect(report.isIntact && report.entries == 0 && report.head == nil)

            try postThree(store)
            let sealed = try store.sealCommitted()
            #expect(sealed.sealed == 3 && sealed.ran)
            #expect(try store.sealCommitted().sealed == 0, "sealing is idempotent")
            let head = try #require(try store.chainHead())
            #expect(head.chainSeq == 3 && sealed.head == head)

            report = try store.verify(expectedHead: head)
            #expect(report.problems == [])
            #expect(report.entries == 3 && report.sealsChecked == 3 && report.linesChecked == 6 && report.pending == 0)
            #expect(report.balancesChecked == 13 && report.head == head.description, "6 day rows, 4 month rows, 3 totals")
        }
    }

    @Test func sealsManyBatchesOverSeveralTransactions() throws {
        try withLedger { store, _ in
            // More entries than one sealing transaction takes (10 batches of 1,000), so that the
            // sealer reads, hashes and writes across batches and transactions; the last batch is
            // partial. Written in one transaction, they are chained in entry order.
            let n = 10_500
            try store.connection.execute(
                unsafeSQL: """
                    INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count)
                    SELECT 'many-' || i, DATE '2026-10-01' + i % 28, 'entry ' || i, 2 FROM generate_series(1, \(n)) i ORDER BY i;
                    INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, side, amount_minor, currency)
                    SELECT e.entry_id, k, CASE k WHEN 1 THEN '101000' ELSE '251000' END, 'FIN-DL', CASE k WHEN 1 THEN 'debit' ELSE 'credit' END,
                           e.entry_id * 7, 'USD'
                      FROM ledger.journal_entry e, generate_series(1, 2) k ORDER BY e.entry_id, k
                    """)
            let sealed = try store.sealCommitted()
            #expect(sealed.sealed == n && sealed.ran)
            let head = try #require(try store.chainHead())
            #expect(head.chainSeq == Int64(n) && sealed.head == head)
            #expect(try store.connection.scalar(Int.self, "SELECT count(*) FILTER (WHERE chain_seq <> entry_id) FROM ledger.entry_seal") == 0)
            let report = try store.verify(expectedHead: head)
            #expect(report.problems == [])
            #expect(report.sealsChecked == n && report.linesChecked == 2 * n && report.pending == 0)
        }
    }

    @Test func anOpenTransactionHoldsTheChainBackOnlyInItsOwnDatabase() throws {
        try withLedger { store, conninfo in
            // A writer in another database of the cluster, with a transaction id, left open.
            try TestDatabase.withFreshDatabase { other in
                let elsewhere = try TestDatabase.connect(other)
                try elsewhere.execute(unsafeSQL: "BEGIN; SELECT pg_current_xact_id()")
                // A writer here that has recorded an entry but not committed yet.
                let slow = try LedgerStore(conninfo: conninfo)
                try slow.connection.execute(unsafeSQL: "BEGIN")
                try slow.connection.execute(
                    """
                    INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count) VALUES ('slow', '2026-11-02', 'slow', 2);
                    """)
                try slow.connection.execute(
                    """
                    INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, side, amount_minor, currency)
                    SELECT entry_id, n, CASE n WHEN 1 THEN '101000' ELSE '251000' END, 'FIN-DL', CASE n WHEN 1 THEN 'debit' ELSE 'credit' END, 500, 'USD'
                      FROM ledger.journal_entry, generate_series(1, 2) n WHERE event_key = 'slow'
                    """)
                // (Another month: the open transaction holds its balance rows.)
                try store.post(entry("fast", "2026-10-03", "101000 FIN-DL debit 1.00 USD", "251000 FIN-DL credit 1.00 USD"))
                #expect(try store.sealCommitted().sealed == 0, "the open entry comes first in recording order")

                try slow.connection.execute(unsafeSQL: "COMMIT")
                #expect(try store.sealCommitted().sealed == 2, "the other database's open transaction does not matter")
                try elsewhere.execute(unsafeSQL: "ROLLBACK")
                let chained = try store.connection.query("SELECT e.event_key FROM ledger.entry_seal s JOIN ledger.journal_entry e USING (entry_id) ORDER BY chain_seq")
                #expect(try chained.map { try $0.decode(String.self, at: 0) } == ["slow", "fast"])
                #expect(try store.verify().isIntact)
            }
        }
    }

    @Test func theDatabaseRefusesASealThatDoesNotExtendTheChain() throws {
        try withLedger { store, _ in
            try postThree(store)
            try store.sealCommitted()
            let zeros = String(repeating: "0", count: 64)
            let head = try #require(try store.chainHead())
            try store.post(entry("d", "2026-12-01", "101000 FIN-DL debit 1.00 USD", "251000 FIN-DL credit 1.00 USD"))  // entry 4, not sealed
            func refused(_ code: String, _ message: String, _ sql: SQL, sourceLocation: SourceLocation = #_sourceLocation) {
                expectRefused(store.connection, code, message, [sql], sourceLocation: sourceLocation)
            }
            // A gap, a wrong link (also within one statement), an entry that does not exist, a
            // client's own sealed_at.
            refused("LX005", "seal 7 of entry 4 does not extend the audit chain (head is 3)",
                    "INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256) VALUES (7, 4, \(zeros), \(zeros))")
            refused("LX005", "seal 4 of entry 4 does not extend the audit chain (head is 3)",
                    "INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256) VALUES (4, 4, \(zeros), \(zeros))")
            refused("LX005", "seal 5 of entry 99 does not extend the audit chain (head is 4)",
                    "INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256) VALUES (4, 4, \(head.sha256), \(zeros)), (5, 99, \(head.sha256), \(zeros))")
            refused("23503", "seal 4 names entry 99, which does not exist",
                    "INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256) VALUES (4, 99, \(head.sha256), \(zeros))")
            refused("LX006", "seal 4 sets sealed_at",
                    "INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256, sealed_at) VALUES (4, 4, \(head.sha256), \(zeros), '2020-01-01')")
            #expect(throws: PostgresError.self) {
                try store.connection.execute("UPDATE ledger.entry_seal SET sha256 = \(zeros) WHERE chain_seq = 2")
            }
        }
    }

    @Test func verifyNamesALineAlteredByASuperuser() throws {
        try withLedger { store, _ in
            try postThree(store)
            try store.sealCommitted()
            try tamper(store, "UPDATE ledger.journal_line SET amount_minor = 6500 WHERE entry_id = 2 AND line_no = 1")

            let report = try store.verify()
            #expect(!report.isIntact)
            guard case .sealMismatch(let seq, let id, let key, _, _) = try #require(report.problems.first) else {
                Issue.record("first problem: \(report.problems)")
                return
            }
            #expect(seq == 2 && id == 2 && key == "b")
            #expect(report.problems.contains { if case .invalidEntry(2, _) = $0 { true } else { false } }, "unbalanced now")
            #expect(report.problems.contains(.balanceMismatch(key: "135000 fund FIN-DL USD 2026-11", stored: "debit 60.00, credit 10.00", recomputed: "debit 65.00, credit 10.00")))
            #expect(report.problems.contains(.balanceMismatch(key: "135000 fund FIN-DL USD 2026-11-05", stored: "debit 60.00, credit 0.00", recomputed: "debit 65.00, credit 0.00")))
            #expect(report.problems.contains(.balanceMismatch(key: "135000 fund FIN-DL USD all time", stored: "debit 60.00, credit 10.00", recomputed: "debit 65.00, credit 10.00")))
            #expect(report.problemCount == 5, "the seal, the entry's balance, the month, the day and the total")
        }
    }

    @Test func verifyNamesAnAlteredBalance() throws {
        try withLedger { store, _ in
            try postThree(store)
            // A month row's running sums end at its total, so one altered with its total moves its last day too.
            try tamper(
                store,
                "UPDATE ledger.balance_month SET debit_minor = debit_minor + 1, day_debit_minor[31] = day_debit_minor[31] + 1 WHERE account = '101000' AND month = '2026-10-01'")
            let report = try store.verify()
            #expect(report.problems == [
                .balanceMismatch(key: "101000 fund FIN-DL USD 2026-10", stored: "debit 100.01, credit 0.00", recomputed: "debit 100.00, credit 0.00"),
                .balanceMismatch(key: "101000 fund FIN-DL USD 2026-10-31", stored: "debit 0.01, credit 0.00", recomputed: "nothing"),
            ])
            // The table refuses a total its running sums do not end at.
            #expect {
                try tamper(store, "UPDATE ledger.balance_month SET credit_minor = credit_minor + 1 WHERE account = '101000' AND month = '2026-10-01'")
            } throws: { ($0 as? PostgresError)?.code?.rawValue == "23514" }
            // A day is one element of its month row's running sums: raised alone, it moves its own day and the next.
            try tamper(store, "UPDATE ledger.balance_month SET day_credit_minor[5] = day_credit_minor[5] + 5 WHERE account = '251000' AND month = '2026-10-01'")
            #expect(try store.verify().problems.suffix(2) == [
                .balanceMismatch(key: "251000 fund FIN-DL USD 2026-10-05", stored: "debit 0.00, credit 100.05", recomputed: "debit 0.00, credit 100.00"),
                .balanceMismatch(key: "251000 fund FIN-DL USD 2026-10-06", stored: "debit 0.00, credit -0.05", recomputed: "nothing"),
            ])
            try tamper(store, "UPDATE ledger.balance_total SET debit_minor = debit_minor - 1 WHERE account = '135000'")
            #expect(try store.verify().problems.last == .balanceMismatch(key: "135000 fund FIN-DL USD all time", stored: "debit 59.99, credit 10.00", recomputed: "debit 60.00, credit 10.00"))
            // A total missing altogether is named too.
            try tamper(store, "DELETE FROM ledger.balance_total WHERE account = '135000'")
            #expect(try store.verify().problems.last == .balanceMismatch(key: "135000 fund FIN-DL USD all time", stored: "nothing", recomputed: "debit 60.00, credit 10.00"))
        }
    }

    @Test func verifyFindsARemovedSealAndARewrittenChain() throws {
        try withLedger { store, _ in
            try postThree(store)
            try store.sealCommitted()
            let recorded = try #require(try store.chainHead())

            // A seal deleted in the middle: the entry is unsealed inside the chain, and the link breaks.
            try tamper(store, "DELETE FROM ledger.entry_seal WHERE chain_seq = 2")
            var report = try store.verify(sealFirst: false)
            #expect(report.problems.contains(.unsealed(entryID: 2, eventKey: "b")))
            #expect(report.problems.contains(.chainGap(expected: 2, found: 3, entryID: 3)))

            // The whole chain rebuilt after changing a description: internally consistent, but
            // the head recorded outside the database no longer matches.
            try tamper(store, "DELETE FROM ledger.entry_seal; UPDATE ledger.journal_entry SET description = 'changed' WHERE entry_id = 1")
            report = try store.verify()
            #expect(report.isIntact && report.sealsChecked == 3)
            report = try store.verify(expectedHead: recorded)
            #expect(report.problems.count == 1)
            guard case .headMismatch(let expected, _) = try #require(report.problems.first) else {
                Issue.record("expected a head mismatch: \(report.problems)")
                return
            }
            #expect(expected == recorded.description)
        }
    }
}

@Suite struct TamperTests {
    private func sealedThree(_ store: LedgerStore) throws {
        try store.post(entry("a", "2026-10-05", "101000 FIN-DL debit 100.00 USD", "251000 FIN-DL credit 100.00 USD"))
        try store.post(entry("b", "2026-11-05", "135000 FIN-DL debit 60.00 USD", "101000 FIN-DL credit 60.00 USD"))
        try store.post(entry("c", "2026-11-06", "101000 FIN-DL debit 10.00 USD", "135000 FIN-DL credit 10.00 USD"))
        try store.sealCommitted()
    }

    private func tamper(_ store: LedgerStore, _ sql: String) throws {
        try store.connection.execute(unsafeSQL: "SET session_replication_role = replica")
        defer { try? store.connection.execute(unsafeSQL: "RESET session_replication_role") }
        try store.connection.execute(unsafeSQL: sql)
    }

    @Test func anEntrysDateChangedIsNamed() throws {
        try withLedger { (store, _) throws in
            try sealedThree(store)
            try tamper(store, "UPDATE ledger.journal_entry SET effective_date = '2026-11-30' WHERE entry_id = 2")
            let problems = try store.verify().problems
            guard case .sealMismatch(_, 2, "b", _, _) = try #require(problems.first) else { Issue.record("\(problems)"); return }
            // The balances moved day (11-05 → 11-30) no longer match the stored day balances either.
            #expect(problems.contains { if case .balanceMismatch(let key, _, _) = $0 { key.hasSuffix("2026-11-05") } else { false } })
        }
    }

    @Test func aDeletedEntryIsNamed() throws {
        try withLedger { (store, _) throws in
            try sealedThree(store)
            try tamper(store, "DELETE FROM ledger.entry_seal WHERE entry_id = 2; DELETE FROM ledger.journal_line WHERE entry_id = 2; DELETE FROM ledger.journal_entry WHERE entry_id = 2")
            let problems = try store.verify(sealFirst: false).problems
            #expect(problems.contains(.chainGap(expected: 2, found: 3, entryID: 3)))
            #expect(problems.contains { if case .brokenLink(3, 3, _, _) = $0 { true } else { false } })
        }
    }

    @Test func aReorderedChainIsNamed() throws {
        try withLedger { (store, _) throws in
            try sealedThree(store)
            // Swap the places of entries 2 and 3 in the chain.
            try tamper(store, """
                UPDATE ledger.entry_seal SET entry_id = -2 WHERE entry_id = 2; UPDATE ledger.entry_seal SET entry_id = 2 WHERE entry_id = 3;
                UPDATE ledger.entry_seal SET entry_id = 3 WHERE entry_id = -2
                """)
            let problems = try store.verify(sealFirst: false).problems
            #expect(problems.contains { if case .outOfOrder(3, 2, _, _) = $0 { true } else { false } })
            #expect(problems.contains { if case .sealMismatch(2, 3, "c", _, _) = $0 { true } else { false } })
        }
    }
}
