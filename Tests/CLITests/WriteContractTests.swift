// Proves DESIGN.md §5's contract for every command that writes: with --format json it prints
// `{"entries": [{"entry_id", "event_id", "status"}]}` — the entries it posted (or found already
// posted), and an empty list from a write that posts none (facilities, rate resets, FX rates,
// limits, periods, migrations), beside what that write did.
import Foundation
import TestSupport
import Testing

@Suite struct WriteContractTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/october-2026")

    /// Runs a write with --format json; returns its `entries`, each checked for the contract's keys.
    static func entries(_ args: [String], _ conninfo: String) throws -> [[String: Any]] {
        let out = try ExposureCommandTests.ok(args + ["--format", "json"], conninfo)
        let json = try ExposureCommandTests.json(out)
        let entries = try #require(json["entries"] as? [[String: Any]], "\(args): \(out)")
        for e in entries {
            #expect(Set(e.keys) == ["entry_id", "event_id", "status"], "\(args)")
            #expect(e["entry_id"] is NSNumber && e["event_id"] is String && ["created", "existing"].contains(e["status"] as? String), "\(args)")
        }
        return entries
    }

    @Test func everyWriteCommandPrintsItsEntries() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let file = { (name: String) in Self.fixtures.appendingPathComponent(name).path }
            // Writes that post nothing: an empty list.
            #expect(try Self.entries(["db", "migrate"], conninfo).isEmpty)
            #expect(try Self.entries(["import", "facilities", file("facilities.csv")], conninfo).isEmpty)
            #expect(try Self.entries(["import", "rates", file("rates.csv")], conninfo).isEmpty)
            #expect(try Self.entries(["import", "fx-rates", file("fx-rates.csv")], conninfo).isEmpty)
            #expect(try Self.entries(["limits", "set", "country-share-us", "--kind", "country-share", "--from", "2026-01-01", "--share", "90%", "--severity", "warn"], conninfo).isEmpty)
            #expect(try Self.entries(["period", "close", "2026-01"], conninfo).isEmpty)
            #expect(try Self.entries(["period", "reopen", "2026-01", "--reason", "contract test"], conninfo).isEmpty)

            // Writes that post: one item per entry, `existing` when run again.
            let imported = try Self.entries(["import", "events", file("events-2026-10.csv")], conninfo)
            #expect(imported.count == 34 && imported.allSatisfy { $0["status"] as? String == "created" })
            #expect(try Self.entries(["import", "events", file("events-2026-10.csv")], conninfo).allSatisfy { $0["status"] as? String == "existing" })
            let one = try Self.entries(["disburse", "--event-id", "DISB-0007-X", "--facility", "DPA-2026-0007", "--date", "2026-10-20", "--amount", "1000"], conninfo)
            #expect(one.count == 1 && one[0]["event_id"] as? String == "DISB-0007-X")
            let monthEnd = try Self.entries(["month-end", "2026-10"], conninfo)
            #expect(monthEnd.contains { $0["event_id"] as? String == "accrual:DPA-2026-0007:2026-10" && $0["status"] as? String == "created" })
            let entryFile = FileManager.default.temporaryDirectory.appendingPathComponent("entry-\(UUID().uuidString).json")
            try Data(
                """
                {"event_id": "ADJ-1", "date": "2026-10-31", "description": "contract test",
                 "lines": [{"account": "101000", "fund": "FIN-DL", "side": "debit", "amount": "1.00", "currency": "USD"},
                           {"account": "139900", "fund": "FIN-DL", "facility": "DPA-2026-0007", "side": "credit", "amount": "1.00", "currency": "USD"}]}
                """.utf8
            ).write(to: entryFile)
            defer { try? FileManager.default.removeItem(at: entryFile) }
            let posted = try Self.entries(["post", entryFile.path], conninfo)
            #expect(posted.count == 1 && posted[0]["event_id"] as? String == "ADJ-1")
            let reversed = try Self.entries(["reverse", String((posted[0]["entry_id"] as! NSNumber).int64Value), "--effective", "2026-10-31", "--reason", "contract test"], conninfo)
            #expect(reversed.count == 1 && reversed[0]["status"] as? String == "created")
        }
    }
}
