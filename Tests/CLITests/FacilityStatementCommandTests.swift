// Proves `report facility` on the demo's own book against a real PostgreSQL: every statement's
// balances are the exposure report's row for that facility, its entries are exactly the journal's
// entries on the facility with their seals, receipts meet the contract schedule (a missed
// installment past due, a late one paid late), a receipt recorded later changes the statement but
// not the statement as known before it, a reversed receipt no longer counts, and bad requests
// are refused with their exit codes.
import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct FacilityStatementCommandTests {
    typealias Book = ExposureCommandTests

    /// A JSON integer as Int64 (JSONSerialization gives NSNumber).
    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    static func statement(_ id: String, _ conninfo: String, _ extra: [String] = []) throws -> [String: Any] {
        try Book.json(try Book.ok(["report", "facility", id, "--format", "json"] + (extra.isEmpty ? ["--as-of", "2026-11-30"] : extra), conninfo))
    }

    @Test func statementsTieToTheExposureReportAndTheJournal() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try Book.loadBook(conninfo)
            let exposure = try Book.json(try Book.ok(["report", "exposure", "--month", "2026-11", "--format", "json"], conninfo))
            let rows = try #require(exposure["facilities"] as? [[String: Any]])
            let db = try TestDatabase.connect(conninfo)
            for row in rows {
                let id = row["facility_id"] as! String
                let s = try Self.statement(id, conninfo)
                #expect(
                    Set(s.keys) == ["facility_id", "name", "as_of", "known_at", "fiscal_period", "currency", "fx_rate", "terms", "balances", "schedule", "entries", "flags"])
                #expect(s["fiscal_period"] as? String == "FY2027 P02" && s["fx_rate"] as? String == row["fx_rate"] as? String)
                // The same figures as the exposure report, component by component, in USD.
                let balances = try #require(s["balances"] as? [[String: Any]])
                #expect(balances.count == 11)
                for b in balances {
                    let component = b["component"] as! String
                    #expect(b["usd"] as? String == row[component] as? String, "\(id) \(component)")
                    if row["currency"] as? String == "USD" { #expect(b["amount"] as? String == b["usd"] as? String) }
                }
                // Every entry with a line on the facility, in date order, each with its seal.
                let entries = try #require(s["entries"] as? [[String: Any]])
                let journal = try db.query(
                    """
                    SELECT e.entry_id, s.sha256 FROM ledger.journal_entry e LEFT JOIN ledger.entry_seal s USING (entry_id)
                     WHERE e.effective_date <= '2026-11-30' AND EXISTS (SELECT 1 FROM ledger.journal_line l WHERE l.entry_id = e.entry_id AND l.facility_id = \(id))
                     ORDER BY e.effective_date, e.entry_id
                    """
                ).map { (try $0.decode(Int64.self, at: 0), try $0.decode(String?.self, at: 1)) }
                #expect(entries.map { Self.int($0["entry_id"]) } == journal.map { Optional($0.0) }, "\(id)")
                #expect(entries.map { ($0["seal"] as? [String: Any])?["sha256"] as? String } == journal.map(\.1), "\(id)")
                // Receipts are what the cash events say; disbursements sum to `disbursed`.
                let disbursed = entries.filter { ["disburse", "equity-call", "purchase"].contains($0["type"] as? String) }.reduce(0) { $0 + Book.minor($1["amount"]) }
                #expect(disbursed == Book.minor(balances.first { $0["component"] as? String == "disbursed" }?["amount"]), "\(id)")
                #expect((s["schedule"] is NSNull) == (row["instrument"] as? String != "direct-loan"), "\(id)")
            }

            // The missed installment: past due, in arrears, counted in days to the statement's date.
            let troubled = try #require(try Self.statement("DPA-2025-0008", conninfo)["schedule"] as? [String: Any])
            let first = try #require((troubled["installments"] as? [[String: Any]])?.first)
            #expect(first["status"] as? String == "past due" && Self.int(first["days_past_due"]) == 61 && first["arrears"] as? String == "975000.00")
            #expect(troubled["arrears"] as? String == "975000.00" && Self.int(troubled["days_past_due"]) == 61)
            // The late one: paid in full after its date.
            let tungsten = try #require(try Self.statement("DPA-2026-0012", conninfo)["schedule"] as? [String: Any])
            let fourth = try #require((tungsten["installments"] as? [[String: Any]])?[3])
            #expect(fourth["status"] as? String == "paid late" && fourth["paid_on"] as? String == "2026-11-09" && fourth["arrears"] as? String == "0.00")
            #expect(tungsten["arrears"] as? String == "0.00" && tungsten["received_to_date"] as? String == tungsten["due_to_date"] as? String)

            // The table fits 120 columns and names the fiscal period and the arrears.
            let table = try Book.ok(["report", "facility", "DPA-2025-0008", "--as-of", "2026-11-30"], conninfo)
            #expect(table.split(separator: "\n").allSatisfy { $0.count <= 120 }, "fits 120 columns")
            #expect(table.contains("FY2027 P02") && table.contains("past due") && table.contains("975,000.00") && table.contains("1 installment past due, the oldest 61 days"))

            // A receipt recorded later changes the statement, not the statement as known before it.
            let then = try #require(try db.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").first?.decode(String.self, at: 0))
            Thread.sleep(forTimeInterval: 0.01)
            var before: [String: String] = [:]
            for format in ["json", "table", "html"] {
                before[format] = try Book.ok(["report", "facility", "DPA-2025-0008", "--as-of", "2026-12-01", "--known-at", then, "--format", format], conninfo)
            }
            // (November is accrued to 1 December: a receipt is dated on or after it.)
            let late = try Book.json(try Book.ok(
                ["repay", "--event-id", "LATE-0008-1", "--facility", "DPA-2025-0008", "--date", "2026-12-01", "--amount", "975000.00", "--format", "json"], conninfo))
            let lateEntry = try #require(((late["entries"] as? [[String: Any]])?.first?["entry_id"]).flatMap(Self.int))
            let paid = try #require(try Self.statement("DPA-2025-0008", conninfo, ["--as-of", "2026-12-01"])["schedule"] as? [String: Any])
            let paidFirst = try #require((paid["installments"] as? [[String: Any]])?.first)
            #expect(paidFirst["status"] as? String == "paid late" && paidFirst["paid_on"] as? String == "2026-12-01" && Self.int(paid["days_past_due"]) == 0)
            #expect(try Self.statement("DPA-2025-0008", conninfo)["schedule"] as? NSDictionary == troubled as NSDictionary, "as of 30 November, still unpaid")
            for format in ["json", "table", "html"] {
                let again = try Book.ok(["report", "facility", "DPA-2025-0008", "--as-of", "2026-12-01", "--known-at", then, "--format", format], conninfo)
                #expect(again == before[format], "\(format)")
            }

            // Reversed, the receipt no longer counts, and both entries say so.
            _ = try Book.ok(["reverse", String(lateEntry), "--reason", "bounced", "--effective", "2026-12-01"], conninfo)
            let reversed = try Self.statement("DPA-2025-0008", conninfo, ["--as-of", "2026-12-01"])
            let back = try #require(reversed["schedule"] as? [String: Any])
            #expect(back["arrears"] as? String == "975000.00" && back["received_to_date"] as? String == "0.00")
            let listed = try #require(reversed["entries"] as? [[String: Any]])
            #expect(listed.contains { Self.int($0["entry_id"]) == lateEntry && Self.int($0["reversed_by"]) != nil })
            #expect(listed.contains { $0["type"] as? String == "reversal" && Self.int($0["reverses"]) == lateEntry })

            // Bad requests: an unknown facility, a format a statement does not have, a bad date.
            let unknown = try CLI.run(["report", "facility", "DPA-1999-0001", "--database", conninfo])
            #expect(unknown.exitCode == 64 && unknown.stderr.contains("no facility has id DPA-1999-0001"), "\(unknown.stderr)")
            #expect(try CLI.run(["report", "facility", "DPA-2025-0008", "--format", "csv", "--database", conninfo]).exitCode == 64)
            #expect(try CLI.run(["report", "facility", "DPA-2025-0008", "--as-of", "2026-02-30", "--database", conninfo]).exitCode == 64)
            // Known at a time before the facility existed: there was no such facility then.
            #expect(try CLI.run(["report", "facility", "DPA-2025-0008", "--known-at", "2001-01-01T00:00:00Z", "--database", conninfo]).exitCode == 64)
        }
    }
}
