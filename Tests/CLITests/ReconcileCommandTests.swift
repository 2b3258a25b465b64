// Proves `reconcile statement` on the demo's book: a statement made from the ledger's own movements
// on FIN-DL's cash with planted breaks (a receipt the bank has not reported, a receipt one cent off
// under its reference, a bank fee with only the bank's reference) finds exactly those; the same
// file again prints the stored result and writes nothing; a clean statement reconciles, also with
// --fail-on-break; another file claiming a stored statement's id is refused; a broken BAI2 file is
// refused naming its line.
import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct ReconcileCommandTests {
    typealias Book = ExposureCommandTests

    /// FIN-DL's USD cash movements from `from` to `to` as CSV rows "date,amount,reference,description".
    static func movements(_ db: Connection, from: String, to: String) throws -> [String] {
        try db.query(
            """
            SELECT e.effective_date::text || ',' || (sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) / 100.0)::numeric(20, 2)
                   || ',' || coalesce(nullif(ev.reference, ''), e.event_key) || ',bank text'
              FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id LEFT JOIN ledger.event ev ON ev.entry_id = e.entry_id
             WHERE l.account = '101000' AND l.fund = 'FIN-DL' AND l.currency = 'USD' AND e.effective_date BETWEEN \(from)::date AND \(to)::date
             GROUP BY e.entry_id, e.effective_date, ev.reference, e.event_key ORDER BY e.effective_date, e.entry_id
            """
        ).map { try $0.decode(String.self, at: 0) }
    }

    static func write(_ text: String, _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func plantedBreaksAreFoundExactlyAndACleanStatementReconciles() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try Book.loadBook(conninfo)
            let db = try TestDatabase.connect(conninfo)
            let rows = try Self.movements(db, from: "2026-09-01", to: "2026-11-30")
            #expect(rows.count == 7)
            // Planted: row 4 (2026-10-28) and row 7 left out, row 6 one cent more, a fee added.
            var planted = [rows[0], rows[1], rows[2], rows[4], rows[5].replacingOccurrences(of: "2542669.81", with: "2542669.82")]
            planted.append("2026-11-30,-25.00,FEE-1130,Account fee")
            let broken = try Self.write("date,amount,reference,description\n" + planted.joined(separator: "\n") + "\n", "broken.csv")
            // Opening: the ledger's cash before the first row; closing: it plus the rows.
            let args = ["reconcile", "statement", broken, "--account", "101000", "--fund", "FIN-DL", "--opening", "36495903.92", "--closing", "47792636.13"]
            let first = try CLI.run(args + ["--format", "json", "--fail-on-break", "--database", conninfo])
            #expect(first.exitCode == 2, "\(first.stderr)")
            let report = try Book.json(first.stdout)
            #expect(Set(report.keys) == ["account", "fund", "currency", "statement", "matched", "unmatched_statement", "unmatched_ledger", "differences", "roll_forward", "status"])
            #expect(report["status"] as? String == "breaks")
            #expect((report["matched"] as? [[String: Any]])?.count == 4)
            let onStatement = try #require(report["unmatched_statement"] as? [[String: Any]])
            #expect(onStatement.map { $0["reference"] as? String } == ["LBX-2025-0004-09", "FEE-1130"])
            let inLedger = try #require(report["unmatched_ledger"] as? [[String: Any]])
            #expect(inLedger.map { $0["reference"] as? String } == ["LBX-2025-0004-08", "LBX-2025-0004-09", "LBX-2026-0012-05"])
            #expect(inLedger.allSatisfy { ($0["entry_id"] as? NSNumber) != nil })
            let differences = try #require(report["differences"] as? [[String: Any]])
            #expect(differences.count == 1 && differences[0]["reference"] as? String == "LBX-2025-0004-09")
            let matchRows = try db.scalar(Int.self, "SELECT count(*) FROM ledger.statement_match")

            // The same file again: the stored result, nothing written.
            let again = try CLI.run(args + ["--format", "json", "--database", conninfo])
            #expect(again.exitCode == 0 && again.stdout == first.stdout)
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.statement_match") == matchRows)
            let table = try Book.ok(args, conninfo)
            #expect(table.contains("stored before") && table.contains("BREAKS") && table.contains("Difference under LBX-2025-0004-09"))

            // The breaks, aged as of 4 December: the two items and three movements, September's overdue.
            let statementID = try #require((report["statement"] as? [String: Any])?["id"] as? String)
            let breaks = try #require(try Book.json(try Book.ok(["reconcile", "breaks", "--fund", "FIN-DL", "--as-of", "2026-12-04", "--format", "json"], conninfo))["breaks"] as? [[String: Any]])
            #expect(breaks.count == 5)
            #expect(breaks.map { $0["side"] as? String } == ["ledger", "ledger", "ledger", "statement", "statement"], "by date, ledger side first")
            #expect(breaks[0]["bucket"] as? String == "31-60" && breaks[0]["age_days"] as? Int == 37 && breaks[0]["overdue"] as? Bool == false)
            #expect(breaks.last?["reference"] as? String == "FEE-1130" && breaks.last?["bucket"] as? String == "0-30")
            #expect(try CLI.run(["reconcile", "breaks", "--fund", "FIN-DL", "--as-of", "2026-12-04", "--fail-on-break", "--database", conninfo]).exitCode == 2)
            let aged = try Book.json(try Book.ok(["reconcile", "breaks", "--fund", "FIN-DL", "--as-of", "2027-01-15", "--format", "json"], conninfo))
            #expect((aged["breaks"] as? [[String: Any]])?.first?["overdue"] as? Bool == true, "older than two months")

            // The fee cleared: an adjusting entry booked by an officer, then matched by hand with a reason.
            let fee = try Self.write(
                """
                {"event_id": "ADJ-FEE-1130", "date": "2026-11-30", "description": "Treasury account fee, November",
                 "lines": [{"account": "610000", "fund": "FIN-DL", "side": "debit", "amount": "25.00", "currency": "USD"},
                           {"account": "101000", "fund": "FIN-DL", "side": "credit", "amount": "25.00", "currency": "USD"}]}
                """, "fee.json")
            let posted = try Book.json(try Book.ok(["post", fee, "--format", "json"], conninfo))
            let feeEntry = try #require(((posted["entries"] as? [[String: Any]])?.first?["entry_id"] as? NSNumber)?.int64Value)
            let wrong = try CLI.run(["reconcile", "match", "--statement", statementID, "--item", "6", "--entry", String(feeEntry - 1), "--reason", "fee", "--database", conninfo])
            #expect(wrong.exitCode == 65, "an entry that does not move FIN-DL's cash by the item's amount: \(wrong.stderr)")
            #expect(try CLI.run(["reconcile", "match", "--statement", statementID, "--item", "6", "--entry", String(feeEntry), "--reason", " ", "--database", conninfo]).exitCode == 65)
            // Named by the item's id, as `reconcile breaks` lists it.
            let feeItem = try #require((breaks.last?["item_id"] as? NSNumber)?.stringValue)
            #expect(breaks.last?["item_no"] as? Int == 6)
            #expect(try CLI.run(["reconcile", "match", "--statement-item", feeItem, "--statement", statementID, "--item", "6", "--entry", String(feeEntry), "--reason", "fee", "--database", conninfo]).exitCode == 64, "one way of naming the item")
            #expect(try CLI.run(["reconcile", "match", "--statement-item", "999999", "--entry", String(feeEntry), "--reason", "fee", "--database", conninfo]).exitCode == 65, "no such item")
            _ = try Book.ok(["reconcile", "match", "--statement-item", feeItem, "--entry", String(feeEntry), "--reason", "fee booked by ADJ-FEE-1130"], conninfo)
            let after = try #require(try Book.json(try Book.ok(["reconcile", "breaks", "--fund", "FIN-DL", "--as-of", "2026-12-04", "--format", "json"], conninfo))["breaks"] as? [[String: Any]])
            #expect(after.count == 4 && !after.contains { $0["reference"] as? String == "FEE-1130" })
            let again2 = try Book.ok(["reconcile", "match", "--statement", statementID, "--item", "6", "--entry", String(feeEntry), "--reason", "again"], conninfo)
            #expect(again2.contains("already"), "the same match again changes nothing")
            #expect(try CLI.run(["reconcile", "match", "--statement", statementID, "--item", "6", "--entry", String(feeEntry - 2), "--reason", "other", "--database", conninfo]).exitCode == 65, "matched already to another entry")

            // A clean statement of the same period (the entries matched above are left out of it).
            let clean = try Self.write("date,amount,reference,description\n" + [rows[3], rows[5], rows[6]].joined(separator: "\n") + "\n", "clean.csv")
            let ok = try CLI.run([
                "reconcile", "statement", clean, "--account", "101000", "--fund", "FIN-DL", "--opening", "0", "--closing", "5838640.36",
                "--from", "2026-09-01", "--to", "2026-11-30", "--fail-on-break", "--format", "json", "--database", conninfo,
            ])
            #expect(ok.exitCode == 0, "\(ok.stdout) \(ok.stderr)")
            #expect(try Book.json(ok.stdout)["status"] as? String == "reconciled")
            let cleanID = try #require((try Book.json(ok.stdout)["statement"] as? [String: Any])?["id"] as? String)
            #expect(try db.scalar(String.self, "SELECT first_day || '..' || last_day FROM ledger.bank_statement WHERE statement_id = \(cleanID)") == "2026-09-01..2026-11-30")
            #expect(try CLI.run(["reconcile", "statement", clean, "--account", "101000", "--fund", "FIN-DL", "--from", "2026-09-01", "--database", conninfo]).exitCode == 64)

            // A BAI2 file whose control total does not tie: refused, naming the line, nothing stored.
            let bai = try Self.write(StatementReaderFixtures.bai2.replacingOccurrences(of: "49,2600000,5/", with: "49,2600001,5/"), "nov.bai")
            let refused = try CLI.run(["reconcile", "statement", bai, "--account", "101000", "--fund", "FIN-DL", "--bank-account", "1234567890", "--database", conninfo])
            #expect(refused.exitCode == 65 && refused.stderr.contains("line 7") && refused.stderr.contains("account control total"), "\(refused.stderr)")
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.bank_statement") == 2)
            // Several accounts in the file and none chosen: a usage error.
            let several = try Self.write(StatementReaderFixtures.bai2, "two.bai")
            #expect(try CLI.run(["reconcile", "statement", several, "--account", "101000", "--fund", "FIN-DL", "--database", conninfo]).exitCode == 64)
            // Another file claiming a stored statement's id.
            _ = try Book.ok(["reconcile", "statement", several, "--account", "101000", "--fund", "FIN-DL", "--bank-account", "9999"], conninfo)
            let claimed = try Self.write(StatementReaderFixtures.bai2.replacingOccurrences(of: "DFCBANK,DFCLEDGER", with: "DFCBANK,DFCLEDGER2"), "claim.bai")
            let claim = try CLI.run(["reconcile", "statement", claimed, "--account", "101000", "--fund", "FIN-DL", "--bank-account", "9999", "--database", conninfo])
            #expect(claim.exitCode == 65 && claim.stderr.contains("stored from another file"), "\(claim.stderr)")
        }
    }

    @Test func theSubledgerTiesToTheControlAccountsUntilSomethingBypassesIt() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try Book.loadBook(conninfo)
            let args = ["reconcile", "subledger", "--as-of", "2026-11-30", "--fail-on-break"]
            let ties = try Book.json(try Book.ok(args + ["--format", "json"], conninfo))
            let lines = try #require(ties["lines"] as? [[String: Any]])
            #expect(ties["status"] as? String == "ties" && lines.count > 15)
            #expect(lines.contains { $0["fund"] as? String == "FIN-DL" && $0["currency"] as? String == "EUR" && $0["line"] as? String == "135000" })
            #expect(lines.allSatisfy { $0["difference"] as? String == "0.00" })

            // Principal posted by hand, with no facility on the line: the subledger no longer ties.
            let entry = try ReconcileCommandTests.write(
                """
                {"event_id": "ADJ-NOFAC", "date": "2026-11-30", "description": "principal without a facility",
                 "lines": [{"account": "135000", "fund": "FIN-DL", "side": "debit", "amount": "1.00", "currency": "USD"},
                           {"account": "101000", "fund": "FIN-DL", "side": "credit", "amount": "1.00", "currency": "USD"}]}
                """, "nofac.json")
            _ = try Book.ok(["post", entry], conninfo)
            let broken = try CLI.run(args + ["--format", "json", "--database", conninfo])
            #expect(broken.exitCode == 2)
            let after = try #require(try Book.json(broken.stdout)["lines"] as? [[String: Any]])
            #expect(after.filter { $0["difference"] as? String != "0.00" }.map { "\($0["fund"]!) \($0["currency"]!) \($0["line"]!) \($0["difference"]!)" } == ["FIN-DL USD 135000 1.00"])

            // A stored balance altered by a superuser: the guarantees line breaks by what was added.
            let db = try TestDatabase.connect(conninfo)
            try db.execute(unsafeSQL: """
                SET session_replication_role = replica;
                UPDATE ledger.balance_total SET debit_minor = debit_minor + 500
                 WHERE ctid = (SELECT ctid FROM ledger.balance_total WHERE account = '920100' AND fund = 'FIN-LG' LIMIT 1);
                RESET session_replication_role
                """)
            let table = try CLI.run(args + ["--database", conninfo])
            #expect(table.exitCode == 2 && table.stdout.contains("BREAKS"))
            #expect(table.stdout.split(separator: "\n").contains { $0.contains("920100") && $0.contains("5.00") && $0.hasSuffix("!") }, "\(table.stdout)")
        }
    }
}

/// The BAI2 file the reader's tests use (two accounts, control totals that tie).
enum StatementReaderFixtures {
    static let bai2 = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/statements/two-accounts.bai"), encoding: .utf8)
}
