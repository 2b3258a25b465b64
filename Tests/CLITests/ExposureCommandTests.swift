// Proves `report exposure` on the demo's own book (Scripts/samples, loaded as Scripts/demo loads it)
// against a real PostgreSQL: its columns tie to the trial balance per fund and currency, the
// formats carry the same numbers, --known-at reproduces a report byte for byte after later
// postings, the HTML prints through headless Chromium with its totals and charts, a second load
// posts nothing and changes no report, and a missing FX rate is refused with currency and date.
import Foundation
import TestSupport
import Testing

@Suite struct ExposureCommandTests {
    static var repo: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Scripts/samples").path) { dir.deleteLastPathComponent() }
        return dir
    }
    static var samples: URL { repo.appendingPathComponent("Scripts/samples") }

    static func ok(_ args: [String], _ conninfo: String) throws -> String {
        let r = try CLI.run(args + ["--database", conninfo])
        #expect(r.exitCode == 0, "\(args): \(r.stderr)")
        return r.stdout
    }

    /// The demo's steps: reference data, then each month's events, its month-end and (but for the
    /// last month and `keepOpen`) its close. Returns how many events were posted.
    @discardableResult
    static func loadBook(_ conninfo: String, through last: String = "2026-11", keepOpen: Set<String> = []) throws -> Int {
        _ = try ok(["db", "migrate"], conninfo)
        _ = try ok(["import", "facilities", samples.appendingPathComponent("facilities.csv").path], conninfo)
        _ = try ok(["import", "rates", samples.appendingPathComponent("rates.csv").path], conninfo)
        _ = try ok(["import", "fx-rates", samples.appendingPathComponent("fx-rates.csv").path], conninfo)
        let closed = Set(try ok(["period", "list", "--format", "csv"], conninfo).split(separator: "\r\n").filter { $0.contains(",closed") }.map { String($0.prefix(7)) })
        var posted = 0
        let files = try FileManager.default.contentsOfDirectory(atPath: samples.appendingPathComponent("events").path).sorted()
        for file in files where String(file.prefix(7)) <= last {
            let month = String(file.prefix(7))
            let out = try ok(["import", "events", samples.appendingPathComponent("events/\(file)").path, "--format", "json"], conninfo)
            posted += out.components(separatedBy: "\"created\"").count - 1
            if closed.contains(month) { continue }
            _ = try ok(["month-end", month], conninfo)
            if month != last && !keepOpen.contains(month) { _ = try ok(["period", "close", month], conninfo) }
        }
        return posted
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// "123.45" → 12345 (test arithmetic on the report's decimal strings, exact).
    static func minor(_ s: Any?) -> Int64 {
        let text = s as? String ?? "0"
        let negative = text.hasPrefix("-")
        let digits = text.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ".", with: "")
        return (Int64(digits) ?? 0) * (negative ? -1 : 1)
    }

    /// minor × rate, half away from zero, for a currency with two digits.
    static func converted(_ minor: Int64, _ rate: String) -> Int64 {
        let r = Decimal(string: rate)!
        var exact = Decimal(minor) * r
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 0, minor < 0 ? .down : .plain)
        if minor < 0 {  // .plain rounds half up toward +inf for negatives: mirror the positive case
            var positive = Decimal(-minor) * r
            NSDecimalRound(&rounded, &positive, 0, .plain)
            return -NSDecimalNumber(decimal: rounded).int64Value
        }
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    /// "1234567.89" → "1,234,567.89".
    static func grouped(_ plain: String) -> String {
        let parts = plain.split(separator: ".")
        var whole = String(parts[0])
        var out = ""
        while whole.count > 3 {
            out = "," + whole.suffix(3) + out
            whole.removeLast(3)
        }
        return whole + out + "." + parts[1]
    }

    @Test func theDemoBookTiesToTheTrialBalanceInEveryFormat() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            #expect(try Self.loadBook(conninfo) > 200)
            let reportText = try Self.ok(["report", "exposure", "--month", "2026-11", "--format", "json"], conninfo)
            let report = try Self.json(reportText)
            #expect(Set(report.keys) == ["month", "fiscal_period", "as_of", "known_at", "reporting_currency", "facilities", "groups", "totals", "limits"])
            #expect(report["known_at"] is NSNull && report["reporting_currency"] as? String == "USD" && report["fiscal_period"] as? String == "FY2027 P02")
            let facilities = try #require(report["facilities"] as? [[String: Any]])
            #expect(facilities.count == 25)
            let contractKeys: Set<String> = [
                "facility_id", "instrument", "authority", "country", "minerals", "currency", "fx_rate", "obligated", "deobligated", "disbursed",
                "disbursed_in_month", "repaid", "outstanding_principal", "undisbursed", "accrued_interest", "guarantee_outstanding", "equity_cost",
                "equity_fair_value", "exposure", "share", "change",
            ]
            #expect(contractKeys.isSubset(of: Set(facilities[0].keys)))

            // Each column against the control account, per fund and currency, before conversion.
            let tb = try Self.json(try Self.ok(["report", "trial-balance", "--as-of", "2026-11-30", "--format", "json"], conninfo))
            let accounts = try #require(tb["accounts"] as? [[String: Any]])
            for (account, fund, column) in [("135000", "FIN-DL", "outstanding_principal"), ("134100", "FIN-DL", "accrued_interest"), ("920100", "FIN-LG", "guarantee_outstanding"), ("169000", "EQ", "equity_cost")] {
                for currency in ["USD", "CAD", "EUR", "AUD"] {
                    let ledger = accounts.first { $0["account"] as? String == account && $0["fund"] as? String == fund && $0["currency"] as? String == currency }
                    let rows = facilities.filter { $0["currency"] as? String == currency }
                    let expected = currency == "USD"
                        ? Self.minor(ledger?["balance"])
                        : Self.converted(Self.minor(ledger?["balance"]), rows.first?["fx_rate"] as? String ?? "1")
                    #expect(rows.reduce(0) { $0 + Self.minor($1[column]) } == expected, "\(account) \(fund) \(currency)")
                }
            }
            #expect(Self.minor(accounts.first { $0["account"] as? String == "135000" && $0["currency"] as? String == "USD" }?["balance"]) > 0)

            // Totals and groups are sums of the rows.
            let totals = try #require(report["totals"] as? [String: Any])
            for column in ["obligated", "disbursed", "repaid", "outstanding_principal", "exposure", "change", "equity_fair_value"] {
                #expect(facilities.reduce(0) { $0 + Self.minor($1[column]) } == Self.minor(totals[column]), "\(column)")
            }
            let groups = try #require(report["groups"] as? [String: [[String: Any]]])
            #expect(Set(groups.keys) == ["facility", "country", "mineral", "instrument", "authority", "cohort", "currency"])
            for (d, rows) in groups { #expect(rows.reduce(0) { $0 + Self.minor($1["exposure"]) } == Self.minor(totals["exposure"]), "\(d)") }
            let limits = try #require(report["limits"] as? [[String: Any]])
            #expect(limits.contains { $0["limit"] as? String == "mcl" && $0["status"] as? String == "ok" && $0["cap"] as? String == "205000000000.00" })
            #expect(limits.first { $0["limit"] as? String == "mcl" }?["used"] as? String == totals["exposure"] as? String)

            // CSV and the table carry the same numbers as the JSON.
            let csv = try Self.ok(["report", "exposure", "--month", "2026-11", "--format", "csv"], conninfo)
            let lines = csv.split(separator: "\r\n").map(String.init)
            let header = lines[0].split(separator: ",").map(String.init)
            let exposureColumn = try #require(header.firstIndex(of: "exposure"))
            for f in facilities {
                let line = try #require(lines.first { $0.hasPrefix("\(f["facility_id"] as! String),") })
                // Names hold commas inside quotes: count columns from the end, where amounts are.
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                #expect(cells[cells.count - (header.count - exposureColumn)] == f["exposure"] as? String)
            }
            let table = try Self.ok(["report", "exposure", "--month", "2026-11"], conninfo)
            let grouped = Self.grouped(totals["exposure"] as! String)
            #expect(table.contains("TOTAL") && table.contains(grouped), "\(grouped)")
            #expect(table.split(separator: "\n").allSatisfy { $0.count <= 120 }, "fits 120 columns")
            #expect(table.contains("FY2027 P02"))

            // A second load posts nothing and changes no report.
            let html = try Self.ok(["report", "exposure", "--month", "2026-11", "--format", "html"], conninfo)
            #expect(try Self.loadBook(conninfo) == 0)
            for format in ["json", "csv", "table", "html"] {
                let again = try Self.ok(["report", "exposure", "--month", "2026-11", "--format", format], conninfo)
                let first = ["json": reportText, "csv": csv, "table": table, "html": html][format]
                #expect(again == first, "\(format)")
            }

            // Printed by a real browser, the totals, every facility and each chart's title are on the pages.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exposure-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let page = dir.appendingPathComponent("exposure.html")
            #expect(try CLI.run(["report", "exposure", "--month", "2026-11", "--format", "html", "--output", page.path, "--database", conninfo]).exitCode == 0)
            let pdf = dir.appendingPathComponent("exposure.pdf")
            let chromium = URL(fileURLWithPath: "/usr/bin/chromium-headless-shell")
            try #require(FileManager.default.isExecutableFile(atPath: chromium.path), "Scripts/test installs chromium-headless-shell")
            let printed = try CLI.run(chromium, ["--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString])
            #expect(FileManager.default.fileExists(atPath: pdf.path), "\(printed.stderr)")
            let text = try CLI.run(URL(fileURLWithPath: "/usr/bin/pdftotext"), ["-layout", pdf.path, "-"]).stdout
            #expect(text.contains(grouped), "the total exposure")
            for f in facilities { #expect(text.contains(f["facility_id"] as! String)) }
            for title in ["Exposure by mineral", "Exposure by country", "Exposure by instrument", "Total exposure, last 12 month ends", "Maximum contingent liability"] {
                #expect(text.contains(title), "\(title)")
            }
        }
    }

    @Test func knownAtReproducesTheReportAfterLaterPostings() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try Self.loadBook(conninfo, through: "2026-10")
            Thread.sleep(forTimeInterval: 0.01)
            let then = ISO8601DateFormatter().string(from: Date())
            Thread.sleep(forTimeInterval: 0.01)
            var before: [String: String] = [:]
            for format in ["json", "csv", "table", "html"] {
                before[format] = try Self.ok(["report", "exposure", "--month", "2026-10", "--known-at", then, "--format", format], conninfo)
            }
            let plain = try Self.ok(["report", "exposure", "--month", "2026-10", "--format", "json"], conninfo)
            // A late October capital call and a facility moved to another country and renamed, both
            // recorded after `then`, change October's report...
            _ = try Self.ok(["event", "equity-call", "--event-id", "LATE-OCT", "--facility", "DPA-2027-0002", "--date", "2026-10-30", "--amount", "1000000"], conninfo)
            let csv = try String(contentsOf: Self.samples.appendingPathComponent("facilities.csv"), encoding: .utf8)
            let moved = csv.replacingOccurrences(
                of: "DPA-2027-0002,Rare-earth separation (minority equity),MP Materials Corp.,equity,BUILD-9621,EO 14241 (2025-03-20),US,CA,",
                with: "DPA-2027-0002,Rare-earth separation (renamed),MP Materials Corp.,equity,BUILD-9621,EO 14241 (2025-03-20),CA,,")
            #expect(moved != csv)
            let changed = FileManager.default.temporaryDirectory.appendingPathComponent("facilities-\(UUID().uuidString).csv")
            try moved.write(to: changed, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: changed) }
            _ = try Self.ok(["import", "facilities", changed.path, "--update"], conninfo)
            let now = try Self.ok(["report", "exposure", "--month", "2026-10", "--format", "json"], conninfo)
            #expect(now != plain && now.contains("Rare-earth separation (renamed)"))
            // ...but not October's report as known then, in any format.
            for format in ["json", "csv", "table", "html"] {
                #expect(try Self.ok(["report", "exposure", "--month", "2026-10", "--known-at", then, "--format", format], conninfo) == before[format], "\(format)")
            }
            #expect(try Self.json(before["json"]!)["known_at"] as? String != nil)
            #expect(before["json"]!.contains("Rare-earth separation (minority equity)"))
        }
    }

    @Test func monthEndPrintsItsEntriesAndAMissingRateIsRefused() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try Self.loadBook(conninfo, through: "2025-07")
            let first = try Self.json(try Self.ok(["month-end", "2025-07", "--format", "json"], conninfo))
            let entries = try #require(first["entries"] as? [[String: Any]])
            #expect(!entries.isEmpty && entries.allSatisfy { $0["status"] as? String == "existing" && ($0["event_id"] as? String)?.hasSuffix(":2025-07") == true })
            #expect(entries.contains { $0["event_id"] as? String == "accrual:DPA-2025-0003:2025-07" })
            #expect(first["accruals"] is [[String: Any]])

            let add = try CLI.run([
                "facility", "add", "--id", "EU-9", "--name", "Germanium recovery, Belgium", "--counterparty", "Kempen Metals NV", "--instrument", "equity",
                "--authority", "BUILD-9621", "--executive-order", "EO 14241 (2025-03-20)", "--country", "BE", "--naics", "331410", "--minerals", "germanium",
                "--cohort-fy", "2026", "--currency", "JPY", "--obligated", "1000000", "--database", conninfo,
            ])
            #expect(add.exitCode == 0, "\(add.stderr)")
            let refused = try CLI.run(["report", "exposure", "--month", "2025-07", "--database", conninfo])
            #expect(refused.exitCode == 65)
            #expect(refused.stderr.contains("facility EU-9 is in JPY, and there is no JPY FX rate on or before 2025-07-31"), "\(refused.stderr)")
            #expect(refused.stdout.isEmpty)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("never-\(UUID().uuidString).json").path
            #expect(try CLI.run(["report", "exposure", "--month", "2025-07", "--format", "json", "--output", out, "--database", conninfo]).exitCode == 65)
            #expect(!FileManager.default.fileExists(atPath: out), "nothing half-written")
            #expect(try CLI.run(["report", "exposure", "--month", "2025-13", "--database", conninfo]).exitCode == 64)
            #expect(try CLI.run(["report", "exposure", "--month", "2025-07", "--by", "planet", "--database", conninfo]).exitCode == 64)
        }
    }
}
