// Proves the journal's invariants against the real server, each both through the library and
// with raw SQL that bypasses it: balance, append-only, idempotency, period lock, reversal,
// bitemporal balances, and exact totals under concurrent posting.
import Dates
import Foundation
import Ledger
import LedgerStore
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite struct JournalTests {
    let borrow = ["101000 FIN-DL debit 500.00 USD", "251000 FIN-DL credit 500.00 USD"]

    @Test func postsAndIsIdempotent() throws {
        try withLedger { (store, _) throws in
            let e = entry("ev-1", "2026-10-05", borrow[0], borrow[1])
            let first = try store.post(e)
            #expect(first.status == .created)
            let again = try store.post(e)
            #expect(again == PostResult(entryID: first.entryID, eventKey: "ev-1", status: .existing))
            var changed = e
            changed.lines[1] = L("251000 FIN-DL credit 500.01 USD")
            changed.lines[0] = L("101000 FIN-DL debit 500.01 USD")
            #expect(throws: LedgerError.idempotencyConflict(eventKey: "ev-1", field: "lines[1].amount", existing: "500.00", requested: "500.01")) {
                try store.post(changed)
            }
            var redated = e
            redated.effectiveDate = D("2026-10-06")
            #expect(throws: LedgerError.idempotencyConflict(eventKey: "ev-1", field: "date", existing: "2026-10-05", requested: "2026-10-06")) {
                try store.post(redated)
            }
            let posted = try #require(try store.entry(id: first.entryID))
            #expect(posted.entry == e)
            #expect(posted.recordedBy == "postgres")
            #expect(try balanceLines(store, asOf: "2026-10-31") == ["101000 FIN-DL USD 50000", "251000 FIN-DL USD -50000"])
            // What means something in SQL, JSON or an array literal arrives as written, with the
            // lines in their order and a facility on one of them only.
            let odd = entry(
                #"ev-"q", {b}, \ NULL"#, "2026-10-07", "135000 FIN-DL debit 1.00 USD DPA-1.a_b", "101000 FIN-DL credit 1.00 USD",
                description: #" Obligation "x", {y}, NULL \ 'z' "#)
            let oddID = try store.post(odd).entryID
            #expect(try store.entry(id: oddID)?.entry == odd)
        }
    }

    @Test func unbalancedEntriesAreRefusedTwice() throws {
        try withLedger { (store, _) throws in
            #expect(throws: LedgerError.unbalanced(eventKey: "u", group: "proprietary", difference: "0.01 USD")) {
                try store.post(entry("u", "2026-10-05", "101000 FIN-DL debit 500.01 USD", "251000 FIN-DL credit 500.00 USD"))
            }
            #expect(throws: LedgerError.unbalanced(eventKey: "f", group: "fund FIN-DL", difference: "500.00 USD")) {
                try store.post(entry("f", "2026-10-05", "101000 FIN-DL debit 500.00 USD", "251000 PRG credit 500.00 USD"))
            }
            #expect(throws: LedgerError.self) {
                try store.post(entry("b", "2026-10-05", "101000 FIN-DL debit 5 USD", "461000 FIN-DL credit 5 USD"))  // proprietary vs budgetary
            }
            // Raw SQL that skips the library is refused by the database at commit.
            let db = store.connection
            #expect {
                try db.transaction { tx in
                    let id = try tx.scalar(Int64.self, "INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count) VALUES ('raw', '2026-10-05', 'raw', 2) RETURNING entry_id")!
                    try tx.execute("INSERT INTO ledger.journal_line VALUES (\(id), 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (\(id), 2, '251000', 'FIN-DL', NULL, 'credit', 499, 'USD')")
                }
            } throws: { ($0 as? PostgresError)?.code?.rawValue == "LX001" }
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry") == 0)
        }
    }

    @Test func rawSQLMustSendWholeEntriesAndLeaveServerColumnsAlone() throws {
        try withLedger { (store, _) throws in
            let db = store.connection
            func refused(_ code: String, _ message: String, _ statements: [SQL], sourceLocation: SourceLocation = #_sourceLocation) {
                expectRefused(db, code, message, statements, sourceLocation: sourceLocation)
            }
            let header: SQL = "INSERT INTO ledger.journal_entry (entry_id, event_key, effective_date, description, line_count) OVERRIDING SYSTEM VALUE VALUES (900, 'raw', '2026-10-05', 'raw', 2)"
            // Balanced in the end, but its lines come in two statements.
            refused("LX001", "one statement must insert all of them (this one has 1)", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD')",
                "INSERT INTO ledger.journal_line VALUES (900, 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')",
            ])
            // Two lines, but numbered past the declared count.
            refused("LX001", "declares 2 lines numbered 1 to 2", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 3, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')",
            ])
            // Balanced per account set but not per fund, and the other way round.
            refused("LX001", "does not balance within fund FIN-DL: USD lines differ by 500", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '251000', 'PRG', NULL, 'credit', 500, 'USD')",
            ])
            refused("LX001", "does not balance: budgetary USD lines differ by -500", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '461000', 'FIN-DL', NULL, 'credit', 500, 'USD')",
            ])
            // One fund and one currency, but the memorandum lines do not balance; and lines in two
            // currencies whose amounts cancel only as numbers.
            refused("LX001", "does not balance: memorandum USD lines differ by 7", [
                "INSERT INTO ledger.journal_entry (entry_id, event_key, effective_date, description, line_count) OVERRIDING SYSTEM VALUE VALUES (900, 'raw', '2026-10-05', 'raw', 3)",
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD'), (900, 3, '920100', 'FIN-DL', NULL, 'debit', 7, 'USD')",
            ])
            refused("LX001", "does not balance: proprietary", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'EUR')",
            ])
            // A header without lines, found at commit.
            refused("LX001", "declares 2 lines but has none", [header])
            // What a line names must exist: its entry, its account, its fund (foreign-key SQLSTATE).
            refused("23503", "line 2 of entry 900 names account 999999, which is not in the chart of accounts", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '999999', 'FIN-DL', NULL, 'credit', 500, 'USD')",
            ])
            refused("23503", "line 1 of entry 900 names fund NOPE, which is not a fund of the ledger", [
                header,
                "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'NOPE', NULL, 'debit', 500, 'USD'), (900, 2, '251000', 'NOPE', NULL, 'credit', 500, 'USD')",
            ])
            refused("23503", "lines name entry 901, which does not exist", [
                "INSERT INTO ledger.journal_line VALUES (901, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (901, 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')",
            ])
            // An event names the entry recorded with its key, a fund and a facility that exist.
            for (event, message) in [
                ("('other-key', 900, 'borrow', NULL, 'FIN-DL', '2026-10-05', 500, 'USD')", "event other-key names entry 900, which is not the entry recorded with key other-key"),
                ("('raw', 900, 'borrow', NULL, 'NOPE', '2026-10-05', 500, 'USD')", "event raw names fund NOPE"),
                ("('raw', 900, 'disburse', 'NO-SUCH', 'FIN-DL', '2026-10-05', 500, 'USD')", "event raw names facility NO-SUCH, which does not exist"),
            ] {
                refused("23503", message, [
                    header,
                    "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')",
                    SQL(unsafeSQL: "INSERT INTO ledger.event (event_id, entry_id, event_type, facility_id, fund, effective_date, amount_minor, currency) VALUES \(event)"),
                ])
            }
            // So accounts and funds are never deleted or renumbered.
            refused("LX003", "account 101000 cannot be deleted or renumbered", ["DELETE FROM ledger.account WHERE number = '101000'"])
            refused("LX003", "fund FIN-DL cannot be deleted or renumbered", ["UPDATE ledger.fund SET code = 'FIN-X' WHERE code = 'FIN-DL'"])
            refused("LX003", "account cannot be truncated", ["TRUNCATE ledger.account CASCADE"])
            // Who recorded an entry, and when, is the server's to say.
            let lines: SQL = "INSERT INTO ledger.journal_line VALUES (900, 1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (900, 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')"
            refused("LX006", "the server sets them", [
                "INSERT INTO ledger.journal_entry (entry_id, event_key, effective_date, description, line_count, recorded_by) OVERRIDING SYSTEM VALUE VALUES (900, 'raw', '2026-10-05', 'raw', 2, 'someone else')",
                lines,
            ])
            refused("LX006", "the server sets them", [
                "INSERT INTO ledger.journal_entry (entry_id, event_key, effective_date, description, line_count, recorded_at) OVERRIDING SYSTEM VALUE VALUES (900, 'raw', '2026-10-05', 'raw', 2, '2020-01-01')",
                lines,
            ])
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry") == 0)
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.balance_day") == 0)

            // A recorded entry takes no more lines, even balanced ones in one statement.
            let posted = try store.post(entry("posted", "2026-10-05", "101000 FIN-DL debit 5 USD", "251000 FIN-DL credit 5 USD")).entryID
            refused("LX001", "entry \(posted) (posted) was recorded by another transaction", [
                SQL(unsafeSQL: "INSERT INTO ledger.journal_line VALUES (\(posted), 3, '101000', 'FIN-DL', NULL, 'debit', 1, 'USD'), (\(posted), 4, '251000', 'FIN-DL', NULL, 'credit', 1, 'USD')"),
            ])
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line") == 2)
        }
    }

    @Test func journalIsAppendOnlyEvenForItsOwner() throws {
        try withLedger { (store, _) throws in
            let posted = try store.post(entry("ev", "2026-10-05", borrow[0], borrow[1]))
            for sql: SQL in [
                "UPDATE ledger.journal_line SET amount_minor = 1", "DELETE FROM ledger.journal_line",
                "UPDATE ledger.journal_entry SET effective_date = '2026-01-01'", "DELETE FROM ledger.journal_entry",
                "TRUNCATE ledger.journal_line CASCADE",
            ] {
                #expect(throws: PostgresError.self) { try store.connection.execute(sql) }
            }
            // A line added later to a committed entry breaks its declared line count.
            #expect {
                try store.connection.execute("INSERT INTO ledger.journal_line VALUES (\(posted.entryID), 3, '101000', 'FIN-DL', NULL, 'debit', 1, 'USD')")
            } throws: { ($0 as? PostgresError)?.code?.rawValue == "LX001" }
            #expect(try balanceLines(store, asOf: "2026-12-31") == ["101000 FIN-DL USD 50000", "251000 FIN-DL USD -50000"])
        }
    }

    @Test func closedPeriodRefusesLibraryAndRawSQL() throws {
        try withLedger { (store, conninfo) throws in
            let october = YearMonth("2026-10")!
            let before = try store.post(entry("early", "2026-10-01", borrow[0], borrow[1]))
            try store.closePeriod(october)
            #expect(try store.post(entry("early", "2026-10-01", borrow[0], borrow[1])) == PostResult(entryID: before.entryID, eventKey: "early", status: .existing), "an identical retry still finds the original")
            #expect(throws: LedgerError.periodState(month: "2026-10", reason: "is already closed")) { try store.closePeriod(october) }
            #expect(throws: LedgerError.periodClosed(month: "2026-10", eventKey: "late")) {
                try store.post(entry("late", "2026-10-31", borrow[0], borrow[1]))
            }
            // A store that read the periods before the close still meets the database's check.
            let other = try LedgerStore(conninfo: conninfo)
            _ = try other.post(entry("nov", "2026-11-01", borrow[0], borrow[1]))
            try store.reopenPeriod(october, reason: "late invoice from the servicer")
            try store.closePeriod(october, reason: nil)
            #expect(throws: LedgerError.periodClosed(month: "2026-10", eventKey: "late2")) {
                try other.post(entry("late2", "2026-10-15", borrow[0], borrow[1]))
            }
            #expect {
                try store.connection.transaction { tx in
                    let id = try tx.scalar(Int64.self, "INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count) VALUES ('raw', '2026-10-02', 'raw', 2) RETURNING entry_id")!
                    try tx.execute("INSERT INTO ledger.journal_line VALUES (\(id), 1, '101000', 'FIN-DL', NULL, 'debit', 1, 'USD'), (\(id), 2, '251000', 'FIN-DL', NULL, 'credit', 1, 'USD')")
                }
            } throws: { ($0 as? PostgresError)?.code?.rawValue == "LX002" }
            #expect(throws: LedgerError.periodState(month: "2026-09", reason: "is not closed")) {
                try store.reopenPeriod(YearMonth("2026-09")!, reason: "why")
            }
            #expect(throws: LedgerError.self) { try store.reopenPeriod(october, reason: "  ") }
            // The summarizer adds the entries committed past its watermark: in a snapshot older than
            // its lock it could pass over one, so it needs READ COMMITTED.
            expectRefused(store.connection, "LX002", "needs a READ COMMITTED transaction", [
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "SELECT ledger.summarize()",
            ])
            let periods = try store.periods()
            #expect(periods.map(\.month.description) == ["2026-10"])
            #expect(periods.first?.isClosed == true)
        }
    }

    @Test func aCloseSumsEveryPostingThatGotInBeforeIt() throws {
        // Four posters write into October until it is closed under them: the close waits for the
        // postings under way, its month rows hold exactly what got in, and the rest are refused.
        try withLedger { (_, conninfo) throws in
            let failures = Mutex<[String]>([])
            let posted = Mutex<Int64>(0)
            onThreads(5) { worker in
                do {
                    let store = try LedgerStore(conninfo: conninfo)
                    if worker == 0 {
                        usleep(100_000)
                        try store.closePeriod(YearMonth("2026-10")!)
                        return
                    }
                    for i in 0..<20_000 {
                        do {
                            try store.post(entry("w\(worker)-\(i)", "2026-10-1\(i % 3)", "101000 FIN-DL debit 1.00 USD", "251000 FIN-DL credit 1.00 USD"))
                            posted.withLock { $0 += 100 }
                        } catch LedgerError.periodClosed {
                            return
                        }
                    }
                    failures.withLock { $0.append("worker \(worker) never met the close") }
                } catch {
                    failures.withLock { $0.append(String(describing: error)) }
                }
            }
            #expect(failures.withLock { $0 } == [])
            let store = try LedgerStore(conninfo: conninfo)
            let total = posted.withLock { $0 }
            #expect(total > 0)
            // Read past the watermark line by line, then from the month and total rows.
            #expect(try balanceLines(store, asOf: "2026-10-31") == ["101000 FIN-DL USD \(total)", "251000 FIN-DL USD -\(total)"])
            #expect(try store.summarize() > 0)
            #expect(try store.connection.scalar(Int64.self, "SELECT debit_minor FROM ledger.balance_month WHERE account = '101000' AND month = '2026-10-01'") == total)
            #expect(try store.connection.scalar(Int64.self, "SELECT debit_minor FROM ledger.balance_total WHERE account = '101000'") == total)
            #expect(try balanceLines(store, asOf: "2026-10-31") == ["101000 FIN-DL USD \(total)", "251000 FIN-DL USD -\(total)"])
            #expect(try store.verify().problems == [])
        }
    }

    @Test func reversalRestoresEveryBalanceOnce() throws {
        try withLedger { (store, _) throws in
            let original = try store.post(entry("ev", "2026-10-05", borrow[0], borrow[1]))
            #expect(throws: LedgerError.invalidReversal(entryID: original.entryID, reason: "the reversal is dated 2026-10-04, before the original's 2026-10-05")) {
                try store.reverse(entryID: original.entryID, effectiveDate: D("2026-10-04"), reason: "typo")
            }
            let reversal = try store.reverse(entryID: original.entryID, effectiveDate: D("2026-11-02"), reason: "duplicate invoice")
            #expect(reversal.status == .created)
            #expect(try store.reverse(entryID: original.entryID, effectiveDate: D("2026-11-02"), reason: "duplicate invoice").status == .existing)
            #expect(throws: LedgerError.alreadyReversed(entryID: original.entryID, byEntryID: reversal.entryID)) {
                try store.reverse(entryID: original.entryID, effectiveDate: D("2026-11-03"), reason: "again")
            }
            #expect(throws: LedgerError.entryNotFound(999)) { try store.reverse(entryID: 999, effectiveDate: D("2026-11-03"), reason: "x") }
            #expect(try balanceLines(store, asOf: "2026-10-31").count == 2)
            #expect(try balanceLines(store, asOf: "2026-11-30").isEmpty)
            // A "reversal" that does not mirror the original is refused by the database.
            #expect {
                try store.connection.transaction { tx in
                    let id = try tx.scalar(Int64.self, "INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count, reverses) VALUES ('bad', '2026-11-05', 'bad', 2, NULL) RETURNING entry_id")!
                    try tx.execute("INSERT INTO ledger.journal_line VALUES (\(id), 1, '101000', 'FIN-DL', NULL, 'credit', 1, 'USD'), (\(id), 2, '251000', 'FIN-DL', NULL, 'debit', 1, 'USD')")
                    let other = try tx.scalar(Int64.self, "INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count, reverses) VALUES ('bad2', '2026-11-05', 'bad', 2, \(id)) RETURNING entry_id")!
                    try tx.execute("INSERT INTO ledger.journal_line VALUES (\(other), 1, '101000', 'FIN-DL', NULL, 'debit', 2, 'USD'), (\(other), 2, '251000', 'FIN-DL', NULL, 'credit', 2, 'USD')")
                }
            } throws: { ($0 as? PostgresError)?.code?.rawValue == "LX004" }
        }
    }

    @Test func aPostingWritesNoBalanceRowAndIsReadUntilSummarized() throws {
        // A posting writes its entry and lines only; every balance row waits for the summarizer,
        // and a read as of any date takes the lines past its watermark meanwhile.
        try withLedger { (store, _) throws in
            let db = store.connection
            func days() throws -> [String] {
                try db.query("SELECT day::text, debit_minor FROM ledger.balance_day WHERE account = '135000' AND facility_id = 'F1' ORDER BY day")
                    .map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int64.self, at: 1))" }
            }
            _ = try store.post(entry("split", "2026-10-05", "135000 FIN-DL debit 70.00 USD F1", "135000 FIN-DL debit 30.00 USD F1", "101000 FIN-DL credit 100.00 USD"))
            _ = try store.post(entry("single", "2026-10-20", "135000 FIN-DL debit 5.00 USD F1", "101000 FIN-DL credit 5.00 USD"))
            #expect(try db.scalar(Int64.self, "SELECT (SELECT count(*) FROM ledger.balance_day) + (SELECT count(*) FROM ledger.balance_month) + (SELECT count(*) FROM ledger.balance_total)") == 0)
            // Read from the lines: a date in the first half of the month, one in the second, one before.
            for _ in 1...2 {
                #expect(try balanceLines(store, asOf: "2026-10-04") == [])
                #expect(try balanceLines(store, asOf: "2026-10-05") == ["101000 FIN-DL USD -10000", "135000 FIN-DL USD 10000"])
                #expect(try balanceLines(store, asOf: "2026-10-19") == ["101000 FIN-DL USD -10000", "135000 FIN-DL USD 10000"])
                #expect(try balanceLines(store, asOf: "2026-10-20") == ["101000 FIN-DL USD -10500", "135000 FIN-DL USD 10500"])
                #expect(try balanceLines(store, asOf: "2026-10-31") == ["101000 FIN-DL USD -10500", "135000 FIN-DL USD 10500"])
                // The same figures from the summaries, once they hold both entries.
                if try days().isEmpty { #expect(try store.summarize() == 2) }
            }
            #expect(try days() == ["2026-10-05 10000", "2026-10-20 500"])
            #expect(try db.scalar(Int64.self, "SELECT debit_minor FROM ledger.balance_month WHERE account = '135000' AND facility_id = 'F1'") == 10500)
            // A posting after the run: summaries and its lines together.
            _ = try store.post(entry("oct", "2026-10-25", "135000 FIN-DL debit 1.00 USD F1", "101000 FIN-DL credit 1.00 USD"))
            #expect(try days() == ["2026-10-05 10000", "2026-10-20 500"])
            #expect(try balanceLines(store, asOf: "2026-10-24") == ["101000 FIN-DL USD -10500", "135000 FIN-DL USD 10500"])
            #expect(try balanceLines(store, asOf: "2026-10-25") == ["101000 FIN-DL USD -10600", "135000 FIN-DL USD 10600"])
            #expect(try balanceLines(store, asOf: "2026-12-31") == ["101000 FIN-DL USD -10600", "135000 FIN-DL USD 10600"])
            #expect(try store.verify().isIntact)
        }
    }

    @Test func everyColumnRuleOfTheJournalHolds() throws {
        try withLedger { (store, _) throws in
            let db = store.connection
            func entry(key: String = "'raw'", date: String = "'2026-10-05'", description: String = "'raw'", lineCount: String = "2",
                       lines: String = "(1, '101000', 'FIN-DL', NULL, 'debit', 500, 'USD'), (2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')") -> [SQL] {
                [
                    SQL(unsafeSQL: "INSERT INTO ledger.journal_entry (entry_id, event_key, effective_date, description, line_count) OVERRIDING SYSTEM VALUE VALUES (900, \(key), \(date), \(description), \(lineCount))"),
                    SQL(unsafeSQL: "INSERT INTO ledger.journal_line (line_no, account, fund, facility_id, side, amount_minor, currency, entry_id) SELECT *, 900 FROM (VALUES \(lines)) v"),
                ]
            }
            func line(_ n: String = "1", side: String = "'debit'", amount: String = "500", currency: String = "'USD'") -> String {
                "(\(n), '101000', 'FIN-DL', NULL, \(side), \(amount), \(currency)), (2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')"
            }
            for (statements, rule) in [
                (entry(key: "''"), "entry_event_key_length"), (entry(key: "repeat('k', 201)"), "entry_event_key_length"),
                (entry(date: "'1899-12-31'"), "entry_effective_date_range"), (entry(description: "repeat('d', 1001)"), "entry_description_length"),
                (entry(lineCount: "1"), "entry_line_count_range"), (entry(lineCount: "1001"), "entry_line_count_range"),
                (entry(lines: line("0")), "line_no_positive"), (entry(lines: line(side: "'Debit'")), "line_side_known"),
                (entry(lines: line(amount: "0")), "line_amount_positive"), (entry(lines: line(amount: "-500")), "line_amount_positive"),
                (entry(lines: line(currency: "'usd'")), "line_currency_format"), (entry(lines: line(currency: "'US'")), "line_currency_format"),
                (entry(lines: line(currency: "'USDX'")), "line_currency_format"),
            ] {
                expectRefused(db, "23514", rule, statements)
            }
            // At the edges of the rules: accepted.
            try db.transaction { tx in for s in entry(key: "repeat('k', 200)", description: "repeat('d', 1000)") { try tx.execute(s) } }
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line") == 2)
        }
    }

    @Test func formatChecksKeepTheirMeaning() throws {
        try withLedger { (store, _) throws in
            let db = store.connection
            func entry(_ id: Int, facility: String) -> [SQL] {
                [
                    SQL(unsafeSQL: "INSERT INTO ledger.journal_entry (entry_id, event_key, effective_date, description, line_count) OVERRIDING SYSTEM VALUE VALUES (\(id), 'raw-\(id)', '2026-10-05', 'raw', 2)"),
                    "INSERT INTO ledger.journal_line VALUES (\(id), 1, '101000', 'FIN-DL', \(facility), 'debit', 500, 'USD'), (\(id), 2, '251000', 'FIN-DL', NULL, 'credit', 500, 'USD')",
                ]
            }
            // A facility id: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with . _ or -.
            for bad in [String(repeating: "F", count: 65), "-F1", ".F1", "_F1", "F 1", "F1é", "F1\n", ""] {
                expectRefused(db, "23514", "line_facility_format", entry(900, facility: bad))
            }
            for (i, good) in [String(repeating: "F", count: 64), "a.b_c-D9", "9"].enumerated() {
                try db.transaction { tx in for s in entry(910 + i, facility: good) { try tx.execute(s) } }
            }
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line WHERE facility_id IS NOT NULL") == 3)
            // A seal's hashes: 64 lowercase hex digits each.
            let zeros = String(repeating: "0", count: 64)
            for (previous, sha, constraint) in [
                (zeros, String(repeating: "A", count: 64), "seal_hex"), (zeros, String(repeating: "a", count: 63), "seal_hex"),
                (zeros, String(repeating: "a", count: 65), "seal_hex"), (zeros, String(repeating: "g", count: 64), "seal_hex"),
                (String(repeating: "0", count: 63) + " ", String(repeating: "a", count: 64), "seal_previous_hex"),
            ] {
                expectRefused(db, "23514", constraint, ["INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256) VALUES (1, 910, \(previous), \(sha))"])
            }
            #expect(try store.sealCommitted().sealed == 3)
            #expect(try store.verify().isIntact)
        }
    }

    @Test func aBatchIsReadInItsTransactionAndSummarizedOnceCommitted() throws {
        try withLedger { (store, conninfo) throws in
            let db = store.connection
            /// `entries` entries (cash `cents` against borrowing) whose lines come in one statement:
            /// with more than one, a batch.
            func batch(_ tx: Connection, _ key: String, _ cents: Int, entries: Int = 2) throws {
                var ids: [Int64] = []
                for i in 1...entries {
                    ids.append(try tx.scalar(Int64.self, SQL(unsafeSQL: "INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count) VALUES ('\(key)-\(i)', '2026-10-0\(i)', 'batch', 2) RETURNING entry_id"))!)
                }
                try tx.execute(SQL(unsafeSQL: "INSERT INTO ledger.journal_line VALUES " + ids.map { "(\($0), 1, '101000', 'FIN-DL', NULL, 'debit', \(cents), 'USD'), (\($0), 2, '251000', 'FIN-DL', NULL, 'credit', \(cents), 'USD')" }.joined(separator: ", ")))
            }
            /// Cash as the summaries hold it, and as the entries past their watermark add to it.
            func cash(_ tx: Connection) throws -> (summarized: Int64, past: Int64) {
                (try tx.scalar(Int64.self, "SELECT coalesce(sum(debit_minor - credit_minor), 0)::bigint FROM ledger.balance_day WHERE account = '101000'") ?? -1,
                 try tx.scalar(Int64.self, "SELECT coalesce(sum(net), 0)::bigint FROM ledger.unsummarized_lines(NULL) WHERE account = '101000'") ?? -1)
            }
            try db.transaction { tx in
                try batch(tx, "a", 500)
                #expect(try cash(tx) == (0, 1_000), "its own transaction reads a batch's lines")
                try batch(tx, "one", 7, entries: 1)
                try batch(tx, "b", 20)
                #expect(try cash(tx) == (0, 1_047))
            }
            // Another transaction's rows are its own until it commits, and the summarizer passes
            // only what is committed below the oldest running transaction.
            let other = try LedgerStore(conninfo: conninfo).connection
            try other.execute("BEGIN")
            try batch(other, "c", 1)
            try db.transaction { tx in try batch(tx, "d", 100) }
            #expect(try cash(db) == (0, 1_247))
            #expect(try store.summarize() == 5, "the entries written before the open transaction's, not d's after it")
            #expect(try cash(db) == (1_047, 200))
            try other.execute("COMMIT")
            #expect(try store.summarize() == 4)
            #expect(try cash(db) == (1_249, 0))
            #expect(try store.verify().isIntact)
        }
    }

    @Test func knownAtReproducesAnEarlierTrialBalance() throws {
        try withLedger { (store, _) throws in
            try store.post(entry("a", "2026-09-10", borrow[0], borrow[1]))
            try store.post(entry("b", "2026-10-10", "101000 FIN-DL debit 7.00 USD", "251000 FIN-DL credit 7.00 USD"))
            let knownAt = try #require(try store.connection.scalar(Instant.self, "SELECT clock_timestamp()"))
            let before = try balanceLines(store, asOf: "2026-10-15", knownAt: knownAt)
            // Later postings: a back-dated one into September, one in October, one after the as-of date.
            try store.post(entry("c", "2026-09-20", "101000 FIN-DL debit 1.00 USD", "251000 FIN-DL credit 1.00 USD"))
            try store.post(entry("d", "2026-10-11", "101000 FIN-DL debit 2.00 USD", "251000 FIN-DL credit 2.00 USD"))
            try store.post(entry("e", "2026-10-20", "101000 FIN-DL debit 4.00 USD", "251000 FIN-DL credit 4.00 USD"))
            #expect(try balanceLines(store, asOf: "2026-10-15", knownAt: knownAt) == before)
            #expect(before == ["101000 FIN-DL USD 50700", "251000 FIN-DL USD -50700"])
            #expect(try balanceLines(store, asOf: "2026-10-15") == ["101000 FIN-DL USD 51000", "251000 FIN-DL USD -51000"])
            #expect(try balanceLines(store, asOf: "2026-10-31") == ["101000 FIN-DL USD 51400", "251000 FIN-DL USD -51400"])
            #expect(try balanceLines(store, asOf: "2026-09-30") == ["101000 FIN-DL USD 50100", "251000 FIN-DL USD -50100"])
        }
    }

    @Test func randomBalancedEntriesKeepEveryInvariant() throws {
        try withLedger { (store, _) throws in
            var rng = SystemRandomNumberGenerator()
            let pairs = [("101000", "251000"), ("135000", "101000"), ("461000", "480100"), ("920100", "921100"), ("134100", "531000")]
            let funds = ["FIN-DL", "FIN-LG", "PRG", "EQ", "DPA"]
            var expected: [String: Int64] = [:]
            let start = D("2025-01-01").daysSinceEpoch
            for i in 0..<1500 {
                // The summarizer runs now and then, as after a write command: the rest stays past
                // its watermark.
                if Int.random(in: 0..<100, using: &rng) == 0 { try store.summarize() }
                if i == 750 {
                    // 2025 closed, June reopened and posted into again.
                    for m in 1...12 { try store.closePeriod(YearMonth(year: 2025, month: m)!) }
                    try store.reopenPeriod(YearMonth(year: 2025, month: 6)!, reason: "late servicer report")
                }
                var lines: [JournalLine] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let (dr, cr) = pairs.randomElement(using: &rng)!
                    let fund = funds.randomElement(using: &rng)!
                    let amount = Money(minorUnits: Int64.random(in: 1...10_000_000_00, using: &rng), currency: [.usd, Currency(code: "JPY")!].randomElement(using: &rng)!)
                    lines += [JournalLine(account: dr, fund: fund, side: .debit, amount: amount), JournalLine(account: cr, fund: fund, side: .credit, amount: amount)]
                    expected["\(dr) \(fund) \(amount.currency)", default: 0] += amount.minorUnits
                    expected["\(cr) \(fund) \(amount.currency)", default: 0] -= amount.minorUnits
                }
                var day = CivilDate(daysSinceEpoch: start + Int.random(in: 0..<700, using: &rng))
                if i >= 750 && day.year == 2025 && day.month != 6 { day = CivilDate(daysSinceEpoch: day.daysSinceEpoch + 365) }
                try store.post(NewEntry(eventKey: "p-\(i)", effectiveDate: day, description: "property \(i)", lines: lines))
            }
            let balances = try store.balances(asOf: D("2030-01-01"))
            #expect(Dictionary(uniqueKeysWithValues: balances.map { ("\($0.account) \($0.fund) \($0.currency)", $0.balanceMinorUnits) }) == expected.filter { $0.value != 0 })
            // The summaries equal a recomputation from the lines (verify, which summarizes first);
            // balances as of dates inside and after closed and open months equal the lines' sums.
            #expect(try store.verify().problems == [])
            for asOf in ["2025-03-15", "2025-06-30", "2025-12-31", "2026-02-14", "2026-06-30"] {
                let fromLines = try store.connection.query(
                    """
                    SELECT l.account || ' ' || l.fund || ' ' || l.currency, sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END)::bigint
                      FROM ledger.journal_line l JOIN ledger.journal_entry e USING (entry_id)
                     WHERE e.effective_date <= \(D(asOf)) GROUP BY 1 HAVING sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0
                    """
                ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
                let stored = try store.balances(asOf: D(asOf)).map { ("\($0.account) \($0.fund) \($0.currency)", $0.balanceMinorUnits) }
                #expect(Dictionary(uniqueKeysWithValues: stored) == Dictionary(uniqueKeysWithValues: fromLines), "\(asOf)")
            }
            // Every set balances per currency at every date.
            for asOf in ["2025-03-15", "2025-12-31", "2026-06-30"] {
                let chart = Dictionary(uniqueKeysWithValues: try store.accounts().map { ($0.number, $0.set) })
                var totals: [String: Int64] = [:]
                for b in try store.balances(asOf: D(asOf)) { totals["\(chart[b.account]!) \(b.currency)", default: 0] += b.balanceMinorUnits }
                #expect(totals.values.allSatisfy { $0 == 0 }, "\(asOf): \(totals)")
            }
        }
    }

    @Test func concurrentPostersOnHotAccountsEndExact() throws {
        try withLedger { (_, conninfo) throws in
            let failures = Mutex<[String]>([])
            onThreads(8) { worker in
                do {
                    let store = try LedgerStore(conninfo: conninfo)
                    for i in 0..<500 {
                        // Both directions on the same accounts, so lock order matters.
                        let lines = i % 2 == 0
                            ? ["101000 FIN-DL debit 1.01 USD", "251000 FIN-DL credit 1.01 USD", "135000 FIN-DL debit 2.00 USD", "101000 FIN-DL credit 2.00 USD"]
                            : ["135000 FIN-DL debit 2.00 USD", "101000 FIN-DL credit 2.00 USD", "101000 FIN-DL debit 1.01 USD", "251000 FIN-DL credit 1.01 USD"]
                        try store.post(NewEntry(eventKey: "w\(worker)-\(i)", effectiveDate: D("2026-11-\(10 + i % 3)"), description: "hot", lines: lines.map(L)))
                        // Sealers run alongside the posters, as after every write command.
                        if i % 10 == 0 { try store.sealCommitted(wait: i % 100 == 0) }
                    }
                } catch {
                    failures.withLock { $0.append(String(describing: error)) }
                }
            }
            #expect(failures.withLock { $0 } == [])
            let store = try LedgerStore(conninfo: conninfo)
            #expect(try balanceLines(store, asOf: "2026-11-30") == ["101000 FIN-DL USD -396000", "135000 FIN-DL USD 800000", "251000 FIN-DL USD -404000"])
            #expect(try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry") == 4000)
            let report = try store.verify()
            #expect(report.problems == [])
            #expect(report.sealsChecked == 4000 && report.pending == 0 && report.head?.hasPrefix("4000:") == true)
        }
    }
}

@Suite struct RegisterTests {
    @Test func registerStreamsLinesInDateOrderAsKnownAt() throws {
        try withLedger { store, _ in
            try store.post(entry("a", "2026-11-05", "101000 FIN-DL debit 100.00 USD", "251000 FIN-DL credit 100.00 USD"))
            try store.post(entry("b", "2026-10-31", "101000 FIN-DL debit 1.00 USD", "251000 FIN-DL credit 1.00 USD"))
            try store.post(entry("c", "2026-11-06", "135000 FIN-DL debit 40.00 USD DPA-1", "101000 FIN-DL credit 40.00 USD DPA-1"))
            let cutoff = try #require(try store.connection.scalar(Instant.self, "SELECT max(recorded_at) FROM ledger.journal_entry"))
            try store.post(entry("d", "2026-11-02", "101000 FIN-DL debit 5.00 USD", "251000 FIN-DL credit 5.00 USD"))

            func keys(from: String?, to: String, knownAt: Instant? = nil, facility: String? = nil) throws -> [String] {
                var out: [String] = []
                try store.register(account: "101000", facility: facility, from: from.map(D), to: D(to), knownAt: knownAt) {
                    out.append("\($0.eventKey) \($0.line.side.rawValue) \($0.line.amount.formatted)")
                }
                return out
            }
            #expect(try keys(from: nil, to: "2026-12-31") == ["b debit 1.00", "d debit 5.00", "a debit 100.00", "c credit 40.00"])
            #expect(try keys(from: "2026-11-01", to: "2026-11-05") == ["d debit 5.00", "a debit 100.00"])
            #expect(try keys(from: nil, to: "2026-12-31", knownAt: cutoff) == ["b debit 1.00", "a debit 100.00", "c credit 40.00"])
            #expect(try keys(from: nil, to: "2026-12-31", facility: "DPA-1") == ["c credit 40.00"])
            // The opening balance for a register from 2026-11-06, as known before "d".
            let opening = try store.balances(asOf: D("2026-11-05"), knownAt: cutoff, account: "101000")
            #expect(opening.map(\.balanceMinorUnits) == [10_100])
            #expect(try store.balances(asOf: D("2026-11-30"), account: "101000", facility: "DPA-1").map(\.balanceMinorUnits) == [-4_000])
            let byFacility = try store.facilityBalances(asOf: D("2026-11-30"))
            #expect(byFacility.map { "\($0.facilityID) \($0.account) \($0.balanceMinorUnits)" } == ["DPA-1 101000 -4000", "DPA-1 135000 4000"])
            #expect(try store.facilityBalances(asOf: D("2026-11-30"), knownAt: cutoff, accounts: ["135000"]).map(\.balanceMinorUnits) == [4_000])
        }
    }
}
