// Proves the command-line contract by running the built dfc-ledger binary: db status before and
// after db migrate, the exit codes of DESIGN.md §5, and that no password is ever printed.
import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// Runs the built `dfc-ledger` and captures its output and exit code.
struct CLI {
    var exitCode: Int32
    var stdout: String
    var stderr: String

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["DFC_LEDGER_BIN"] { return URL(fileURLWithPath: path) }
        // The test bundle sits next to the built products.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") || dir.lastPathComponent == "Contents" { dir.deleteLastPathComponent() }
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("dfc-ledger").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("dfc-ledger")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI {
        try run(binary, arguments, environment: environment)
    }

    /// Runs `executable` to its end and collects what it printed.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CLI {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI(
            exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite struct DbCommandTests {
    @Test func statusBeforeAndAfterMigrate() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let before = try CLI.run(["db", "status", "--database", conninfo])
            #expect(before.exitCode == 0, "\(before.stderr)")
            #expect(before.stdout.contains("Migrations: 0 applied, "))
            #expect(!before.stdout.contains(" applied  "), "nothing is applied yet")
            // One row per migration: its name (padded to the longest), its state, its SHA-256.
            let rows = before.stdout.split(separator: "\n").map { $0.split(separator: " ").prefix(2).map(String.init) }
            #expect(rows.contains(["0001_schema_and_roles.sql", "pending"]))
            #expect(rows.contains(["0003_journal.sql", "pending"]))
            #expect(before.stdout.contains("(PostgreSQL 15."))

            let migrate = try CLI.run(["db", "migrate", "--database", conninfo])
            #expect(migrate.exitCode == 0, "\(migrate.stderr)")
            #expect(migrate.stdout.contains("applied 0001_schema_and_roles.sql"))
            let again = try CLI.run(["db", "migrate", "--database", conninfo, "--format", "json"])
            #expect(again.exitCode == 0)
            let json = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
            #expect(json?["applied"] as? [String] == [])

            let after = try CLI.run(["db", "status", "--database", conninfo, "--format", "json"])
            let status = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any]
            let migrations = status?["migrations"] as? [[String: Any]]
            #expect(migrations?.first?["state"] as? String == "applied")
            #expect(migrations?.first?["applied_by"] as? String == "postgres")
            #expect((status?["target"] as? String)?.contains("dbname=t_") == true)
        }
    }

    /// A development database built from the migrations the baseline replaced is refused, naming
    /// the way out; nothing is applied to it.
    @Test func aDatabaseBuiltBeforeTheBaselineIsRefused() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            try db.execute(unsafeSQL: """
                CREATE TABLE schema_migrations (name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
                                                applied_by text NOT NULL DEFAULT session_user);
                INSERT INTO schema_migrations (name, sha256) VALUES ('0001_chart_of_accounts.sql', repeat('a', 64)), ('0008_roles.sql', repeat('b', 64));
                """)
            let migrate = try CLI.run(["db", "migrate", "--database", conninfo])
            #expect(migrate.exitCode == 65, "\(migrate.stderr)")
            #expect(migrate.stderr.contains("built from migration 0001_chart_of_accounts.sql") && migrate.stderr.contains("Scripts/db destroy"), "\(migrate.stderr)")
            #expect(try db.scalar(Bool.self, "SELECT to_regnamespace('ledger') IS NULL") == true)
            let status = try CLI.run(["db", "status", "--database", conninfo])
            #expect(status.stdout.contains("2 RETIRED") && status.stdout.split(separator: "\n").contains { $0.hasPrefix("0008_roles.sql ") && $0.contains(" retired ") }, "\(status.stdout)")
        }
    }

    @Test func accountsListInEveryFormat() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let table = try CLI.run(["accounts", "list", "--database", conninfo])
            #expect(table.exitCode == 0)
            #expect(table.stdout.contains("135000   Loans Receivable"))
            let csv = try CLI.run(["accounts", "list", "--database", conninfo, "--format", "csv"])
            #expect(csv.stdout.hasPrefix("account,title,set,type,normal,verify\r\n101000,Fund Balance With Treasury,proprietary,asset,debit,\r\n"))
            let json = try CLI.run(["accounts", "list", "--database", conninfo, "--format", "json"])
            let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [[String: Any]]]
            #expect(decoded?["accounts"]?.count == 30)
            #expect(decoded?["accounts"]?.first?["normal_balance"] as? String == "debit")
        }
    }

    @Test func unreachableDatabaseExits69WithoutPassword() throws {
        let result = try CLI.run(["db", "status", "--database", "host=/nonexistent port=5999 user=officer password=hunter2 connect_timeout=2"])
        #expect(result.exitCode == 69)
        #expect(result.stderr.contains("cannot connect to PostgreSQL at host=/nonexistent port=5999"))
        #expect(!result.stderr.contains("hunter2"))
        #expect(!result.stdout.contains("hunter2"))
    }

    @Test func aPasswordIsNeverPrintedBySuccessErrorsOrLogs() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let withSecret = conninfo + " password=s3cr3t-Pa55"
            var outputs: [CLI] = []
            outputs.append(try CLI.run(["db", "status", "--database", withSecret, "--format", "json"]))
            outputs.append(try CLI.run(["verify", "--database", withSecret], environment: ["DFC_LEDGER_LOG_LEVEL": "trace"]))  // not migrated: an error
            outputs.append(try CLI.run(["db", "migrate", "--database", withSecret], environment: ["DFC_LEDGER_LOG_LEVEL": "trace"]))
            outputs.append(try CLI.run(["report", "trial-balance", "--database", withSecret + " connect_timeout=x"]))  // refused by libpq
            outputs.append(try CLI.run(["db", "status", "--help"]))
            outputs.append(try CLI.run(["post", "/nonexistent.json", "--database", "postgresql://officer:s3cr3t-Pa55@/nowhere?host=/nonexistent"]))
            #expect(outputs.map(\.exitCode) == [0, 1, 0, 69, 0, 65])
            for o in outputs { #expect(!(o.stdout + o.stderr).contains("s3cr3t"), "\(o.stdout)\(o.stderr)") }
            #expect(outputs[0].stdout.contains("dbname=t_"), "the target is shown, masked")
        }
    }

    @Test func environmentIsUsedWhenNoDatabaseIsGiven() throws {
        let result = try CLI.run(["db", "status"], environment: ["PGHOST": "/nonexistent", "PGPORT": "5998", "PGPASSWORD": "hunter2"])
        #expect(result.exitCode == 69)
        #expect(result.stderr.contains("host=/nonexistent port=5998"))
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test func usageErrorsExit64() throws {
        let badConninfo = try CLI.run(["db", "status", "--database", "host='unterminated password=hunter2"])
        #expect(badConninfo.exitCode == 64)
        #expect(badConninfo.stderr.contains("--database is not a valid conninfo"))
        #expect(!badConninfo.stderr.contains("hunter2"))
        #expect(try CLI.run(["db", "status", "--format", "html"]).exitCode == 64)
        #expect(try CLI.run(["db", "frobnicate"]).exitCode == 64)
        let help = try CLI.run(["--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("69 database unreachable"))
    }
}

@Suite struct JournalCommandTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("entry-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let borrowing = """
        {"event_id": "adj-001", "date": "2026-11-03", "description": "Borrowing from Treasury",
         "lines": [{"account": "101000", "fund": "FIN-DL", "side": "debit", "amount": "2500000.00", "currency": "USD"},
                   {"account": "251000", "fund": "FIN-DL", "side": "credit", "amount": "2500000", "currency": "USD"}]}
        """

    @Test func postReversePeriodAndTrialBalance() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let file = try write(borrowing)
            let first = try CLI.run(["post", file, "--database", conninfo, "--format", "json"])
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(first.stdout.contains("\"status\" : \"created\""))
            let again = try CLI.run(["post", file, "--database", conninfo, "--format", "json"])
            #expect(again.stdout.contains("\"status\" : \"existing\""))

            let tb = try CLI.run(["report", "trial-balance", "--as-of", "2026-11-30", "--database", conninfo, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(tb.stdout.utf8)) as? [String: Any])
            #expect(json["as_of"] as? String == "2026-11-30")
            #expect(json["known_at"] is NSNull)
            let rows = try #require(json["accounts"] as? [[String: String]])
            #expect(rows.map { $0["balance"] } == ["2500000.00", "-2500000.00"])
            #expect((json["totals"] as? [String: [String: [String: String]]])?["proprietary"]?["USD"] == ["debit": "2500000.00", "credit": "2500000.00"])

            let reversed = try CLI.run(["reverse", "1", "--effective", "2026-11-20", "--reason", "posted twice", "--database", conninfo])
            #expect(reversed.exitCode == 0, "\(reversed.stderr)")
            #expect(reversed.stdout.contains("for event reversal:1"))
            let empty = try CLI.run(["report", "trial-balance", "--as-of", "2026-11-30", "--database", conninfo, "--format", "csv"])
            #expect(empty.stdout == "account,title,set,fund,currency,debit,credit\r\n")

            #expect(try CLI.run(["period", "close", "2026-11", "--database", conninfo]).exitCode == 0)
            let late = try CLI.run(["post", try write(borrowing.replacingOccurrences(of: "adj-001", with: "adj-002")), "--database", conninfo])
            #expect(late.exitCode == 65)
            #expect(late.stderr.contains("entry adj-002 is dated in 2026-11, which is closed"))
            #expect(try CLI.run(["period", "reopen", "2026-11", "--database", conninfo]).exitCode == 64, "a reason is required")
            #expect(try CLI.run(["period", "reopen", "2026-11", "--reason", "late invoice", "--database", conninfo]).exitCode == 0)
            let periods = try CLI.run(["period", "list", "--database", conninfo, "--format", "csv"])
            #expect(periods.stdout.contains("2026-11,open,"))
            #expect(periods.stdout.contains(",late invoice\r\n"))
        }
    }

    @Test func badEntryFilesExit65NamingFileFieldAndValue() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let cases: [(String, String)] = [
                (borrowing.replacingOccurrences(of: "\"2500000.00\"", with: "\"12.505\""), "lines[1]: amount \"12.505\": more than 2 fraction digits, the most USD has"),
                (borrowing.replacingOccurrences(of: "\"2500000.00\"", with: "2500000.00"), "lines[1]: amount \"(a JSON number or boolean)\": must be a JSON string"),
                (borrowing.replacingOccurrences(of: "2026-11-03", with: "2026-02-30"), "date \"2026-02-30\": not a calendar date"),
                (borrowing.replacingOccurrences(of: "\"debit\"", with: "\"left\""), "lines[1]: side \"left\": must be debit or credit"),
                (borrowing.replacingOccurrences(of: "\"2500000.00\"", with: "\"-5\""), "lines[1]: amount \"-5\": must be positive"),
                (borrowing.replacingOccurrences(of: "\"101000\"", with: "\"999999\""), "entry adj-001, line 1, account \"999999\": not in the chart of accounts"),
                (borrowing.replacingOccurrences(of: "\"2500000\"", with: "\"2499999.99\""), "entry adj-001 does not balance"),
                ("{not json", "not valid JSON"),
            ]
            for (text, message) in cases {
                let file = try write(text)
                let result = try CLI.run(["post", file, "--database", conninfo])
                #expect(result.exitCode == 65, "\(message)")
                #expect(result.stderr.contains(message), "\(result.stderr)")
            }
            let db = try TestDatabase.connect(conninfo)
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry") == 0, "nothing was written")
        }
    }

    @Test func trialBalanceFiltersBySetAndFund() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let appropriation = """
                {"event_id": "fund-1", "date": "2026-11-02", "description": "Appropriation",
                 "lines": [{"account": "101000", "fund": "PRG", "side": "debit", "amount": "700.00", "currency": "USD"},
                           {"account": "310100", "fund": "PRG", "side": "credit", "amount": "700.00", "currency": "USD"},
                           {"account": "411900", "fund": "PRG", "side": "debit", "amount": "700.00", "currency": "USD"},
                           {"account": "445000", "fund": "PRG", "side": "credit", "amount": "700.00", "currency": "USD"}]}
                """
            #expect(try CLI.run(["post", try write(appropriation), "--database", conninfo]).exitCode == 0)
            #expect(try CLI.run(["post", try write(borrowing), "--database", conninfo]).exitCode == 0)
            func accounts(_ extra: [String]) throws -> [String] {
                let tb = try CLI.run(["report", "trial-balance", "--as-of", "2026-11-30", "--database", conninfo, "--format", "csv"] + extra)
                #expect(tb.exitCode == 0, "\(tb.stderr)")
                return tb.stdout.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(4).joined(separator: " ") }
            }
            #expect(try accounts(["--set", "budgetary"]) == ["411900 Other Appropriations Realized budgetary PRG", "445000 Unapportioned Authority budgetary PRG", "total  budgetary "])
            #expect(try accounts(["--fund", "FIN-DL"]) == [
                "101000 Fund Balance With Treasury proprietary FIN-DL", "251000 Principal Payable to the Bureau of the Fiscal Service proprietary FIN-DL",
                "total  proprietary ",
            ])
            #expect(try accounts(["--fund", "PRG", "--set", "proprietary"]).count == 3)
            #expect(try CLI.run(["report", "trial-balance", "--set", "offbudget", "--database", conninfo]).exitCode == 64)
        }
    }

    @Test func verifyPassesThenNamesALineAlteredByASuperuser() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            #expect(try CLI.run(["post", try write(borrowing), "--database", conninfo]).exitCode == 0)
            // The command's sealer run summarized the entry: its month and total rows exist as
            // well as its day's.
            let ok = try CLI.run(["verify", "--database", conninfo, "--format", "json"])
            #expect(ok.exitCode == 0, "\(ok.stdout)\(ok.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any])
            #expect(summary["status"] as? String == "ok" && summary["seals_checked"] as? Int == 1)
            let head = try #require(summary["head"] as? String)

            let db = try TestDatabase.connect(conninfo)
            try db.execute(unsafeSQL: "SET session_replication_role = replica; UPDATE ledger.journal_line SET amount_minor = 1 WHERE entry_id = 1 AND line_no = 2")
            let failed = try CLI.run(["verify", "--database", conninfo, "--expect-head", head])
            #expect(failed.exitCode == 65)
            #expect(failed.stdout.contains("verify: FAILED: 5 problems"))
            #expect(failed.stdout.contains("  - entry 1 (adj-001), chain #1: sealed as \(head.dropFirst(2)) but its content now hashes to "))
            #expect(failed.stdout.contains("balance 251000 fund FIN-DL USD 2026-11: stored debit 0.00, credit 2500000.00, but the lines sum to debit 0.00, credit 0.01"))
            #expect(failed.stdout.contains("balance 251000 fund FIN-DL USD all time: stored debit 0.00, credit 2500000.00, but the lines sum to debit 0.00, credit 0.01"))
            #expect(failed.stderr.contains("the books do not verify: 5 problems"))
            #expect(try CLI.run(["verify", "--database", conninfo, "--expect-head", "1:xyz"]).exitCode == 64)
        }
    }

    @Test func registerRunsBalancesFromTheOpeningBalance() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            #expect(try CLI.run(["post", try write(borrowing), "--database", conninfo]).exitCode == 0)
            let disbursement = """
                {"event_id": "adj-003", "date": "2026-12-02", "description": "Disbursement, graphite",
                 "lines": [{"account": "135000", "fund": "FIN-DL", "facility": "DPA-2026-0007", "side": "debit", "amount": "400000.00", "currency": "USD"},
                           {"account": "101000", "fund": "FIN-DL", "facility": "DPA-2026-0007", "side": "credit", "amount": "400000.00", "currency": "USD"}]}
                """
            #expect(try CLI.run(["post", try write(disbursement), "--database", conninfo]).exitCode == 0)

            let all = try CLI.run(["report", "register", "--account", "101000", "--to", "2026-12-31", "--database", conninfo, "--format", "csv"])
            #expect(all.exitCode == 0, "\(all.stderr)")
            #expect(all.stdout == """
                date,entry_id,event_id,description,fund,facility,currency,debit,credit,balance\r
                2026-11-03,1,adj-001,Borrowing from Treasury,FIN-DL,,USD,2500000.00,0.00,2500000.00\r
                2026-12-02,2,adj-003,"Disbursement, graphite",FIN-DL,DPA-2026-0007,USD,0.00,400000.00,2100000.00\r

                """)
            let december = try CLI.run(["report", "register", "--account", "101000", "--from", "2026-12-01", "--to", "2026-12-31", "--database", conninfo, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(december.stdout.utf8)) as? [String: Any])
            #expect((json["opening"] as? [[String: String]])?.first?["balance"] == "2500000.00")
            #expect((json["closing"] as? [[String: String]])?.first?["balance"] == "2100000.00")
            #expect((json["rows"] as? [[String: Any]])?.count == 1)

            let facility = try CLI.run(["report", "register", "--account", "101000", "--facility", "DPA-2026-0007", "--to", "2026-12-31", "--database", conninfo])
            #expect(facility.stdout.contains("Facility DPA-2026-0007"))
            #expect(facility.stdout.contains("closing balance         FIN-DL"))
            #expect(facility.stdout.contains("-400000.00"))
            #expect(!facility.stdout.contains("adj-001"))

            let unknown = try CLI.run(["report", "register", "--account", "999999", "--database", conninfo])
            #expect(unknown.exitCode == 64 && unknown.stderr.contains("--account 999999 is not in the chart of accounts"))
            #expect(try CLI.run(["report", "register", "--account", "101000", "--from", "2026-12-31", "--to", "2026-12-01", "--database", conninfo]).exitCode == 64)
        }
    }
}

/// Runs an auditor's tool (hledger, bean-check), which Scripts/test installs.
func tool(_ name: String, _ arguments: [String]) throws -> CLI {
    try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments)
}

@Suite struct ExportCommandTests {
    /// Entries in three currencies, two funds, facilities, a reversal, and text that needs care.
    func postSample(_ conninfo: String) throws {
        let entries = [
            #"{"event_id": "x-1", "date": "2026-10-01", "description": "Appropriation; \"FY27\"", "lines": [{"account": "101000", "fund": "PRG", "side": "debit", "amount": "900000.00", "currency": "USD"}, {"account": "310100", "fund": "PRG", "side": "credit", "amount": "900000.00", "currency": "USD"}, {"account": "411900", "fund": "PRG", "side": "debit", "amount": "900000.00", "currency": "USD"}, {"account": "445000", "fund": "PRG", "side": "credit", "amount": "900000.00", "currency": "USD"}]}"#,
            #"{"event_id": "x-2", "date": "2026-10-15", "description": "Yen loan", "lines": [{"account": "135000", "fund": "FIN-DL", "facility": "DPA-2026-0007", "side": "debit", "amount": "125000000", "currency": "JPY"}, {"account": "251000", "fund": "FIN-DL", "side": "credit", "amount": "125000000", "currency": "JPY"}]}"#,
            #"{"event_id": "x-3", "date": "2026-11-02", "description": "Dinar loan", "lines": [{"account": "135000", "fund": "FIN-DL", "facility": "dpa.kw_1", "side": "debit", "amount": "1000.125", "currency": "KWD"}, {"account": "251000", "fund": "FIN-DL", "side": "credit", "amount": "1000.125", "currency": "KWD"}]}"#,
            #"{"event_id": "x-4", "date": "2026-11-03", "description": "Cash", "lines": [{"account": "101000", "fund": "FIN-DL", "side": "debit", "amount": "0.01", "currency": "USD"}, {"account": "251000", "fund": "FIN-DL", "side": "credit", "amount": "0.01", "currency": "USD"}]}"#,
        ]
        for (i, text) in entries.enumerated() {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)-\(i).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let posted = try CLI.run(["post", path, "--database", conninfo])
            #expect(posted.exitCode == 0, "\(posted.stderr)")
        }
        #expect(try CLI.run(["reverse", "4", "--effective", "2026-11-04", "--reason", "wrong fund", "--database", conninfo]).exitCode == 0)
    }

    @Test func hledgerExportBalancesToTheTrialBalance() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            try postSample(conninfo)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).journal").path
            let export = try CLI.run(["export", "--format", "hledger", "--output", file, "--database", conninfo])
            #expect(export.exitCode == 0, "\(export.stderr)")

            let hledger = try tool("hledger", ["-s", "-f", file, "bal", "-N", "--depth", "2", "--layout", "bare", "-O", "csv"])
            #expect(hledger.exitCode == 0, "hledger (installed by Scripts/test) refused the export: \(hledger.stderr)")
            // "account:fund","currency","balance" rows, non-zero only, as the trial balance has them.
            let fromHledger = hledger.stdout.split(separator: "\n").dropFirst().map { $0.replacingOccurrences(of: "\"", with: "") }
                .filter { !$0.hasSuffix(",0") }.sorted()
            let tb = try CLI.run(["report", "trial-balance", "--as-of", "2026-12-31", "--database", conninfo, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(tb.stdout.utf8)) as? [String: Any])
            let rows = try #require(json["accounts"] as? [[String: String]])
            let fromLedger = rows.map { "\($0["account"]!):\($0["fund"]!),\($0["currency"]!),\($0["balance"]!)" }.sorted()
            #expect(rows.count == 8, "the reversed cash entry nets to zero")
            #expect(fromHledger == fromLedger)
            #expect(fromLedger.contains("135000:FIN-DL,KWD,1000.125") && fromLedger.contains("135000:FIN-DL,JPY,125000000"))

            let again = try CLI.run(["export", "--format", "hledger", "--database", conninfo])
            #expect(again.stdout == (try String(contentsOfFile: file, encoding: .utf8)), "the same books export to the same bytes")
            #expect(again.stdout.contains("2026-10-01 (1) Appropriation, \"FY27\"\n    ; event_id: x-1\n"))
            #expect(again.stdout.contains("commodity 1000.000 KWD\n") && again.stdout.contains("commodity 1000. JPY\n"))
        }
    }

    @Test func beancountExportPassesBeanCheck() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            try postSample(conninfo)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).beancount").path
            let export = try CLI.run(["export", "--format", "beancount", "--output", file, "--database", conninfo])
            #expect(export.exitCode == 0, "\(export.stderr)")
            let check = try tool("bean-check", [file])
            #expect(check.exitCode == 0, "bean-check (installed by Scripts/test) refused the export: \(check.stdout)\(check.stderr)")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("2026-10-01 * \"Appropriation; \\\"FY27\\\"\"\n"), "descriptions are exact in beancount")
            #expect(text.contains("  Assets:Proprietary:135000:FIN-DL:X-dpa-x2Ekw-x5F1  1000.125 KWD\n    facility: \"dpa.kw_1\"\n"))
            #expect(text.contains("  Liabilities:Budgetary:445000:PRG  -900000.00 USD\n"))
        }
    }

    @Test func anExportThatFailsLeavesNoFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).journal").path
        let failed = try CLI.run(["export", "--format", "hledger", "--output", file, "--database", "host=/nonexistent port=1 dbname=x"])
        #expect(failed.exitCode == 69)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try CLI.run(["export", "--format", "ledger-cli"]).exitCode == 64)
    }
}

@Suite struct FacilityCommandTests {
    /// Tests/Fixtures/october-2026: seven facilities and their October and November 2026 events.
    static var samples: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Tests/Fixtures/october-2026").path) { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("Tests/Fixtures/october-2026")
    }

    @Test func importListShowAndSchedule() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let file = Self.samples.appendingPathComponent("facilities.csv").path
            let first = try CLI.run(["import", "facilities", file, "--database", conninfo])
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(first.stdout.hasSuffix("facilities.csv: 7 created, 0 updated, 0 unchanged\n"))
            let again = try CLI.run(["import", "facilities", file, "--database", conninfo, "--format", "json"])
            #expect(again.stdout.contains("\"status\" : \"unchanged\""))

            let list = try CLI.run(["facility", "list", "--database", conninfo, "--format", "csv"])
            #expect(list.stdout.contains("DPA-2026-0007,\"Graphite processing, Alaska\",direct-loan,DPA-302,US,AK,graphite,2026,USD,37500000.00\r\n"))
            let show = try CLI.run(["facility", "show", "DPA-2026-0011", "--database", conninfo, "--format", "json"])
            let shown = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
            let facility = try #require(shown["facility"] as? [String: Any])
            #expect(facility["rate"] is NSNull && facility["spread"] as? String == "2.75%")
            #expect((facility["minerals"] as? [[String: Any]])?.last?["lists"] as? [String] == ["EO-14241"])

            let schedule = try CLI.run(["facility", "schedule", "DPA-2026-0007", "--database", conninfo, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(schedule.stdout.utf8)) as? [String: Any])
            #expect(json["payment"] as? String == "1362779.70")
            let rows = try #require(json["rows"] as? [[String: Any]])
            #expect(rows.first?["interest"] as? String == "574218.75" && rows.last?["balance"] as? String == "0.00")
            let floating = try CLI.run(["facility", "schedule", "DPA-2026-0011", "--database", conninfo])
            #expect(floating.exitCode == 65 && floating.stderr.contains("no SOFR-3M rate on or before 2027-06-30"))
            #expect(try CLI.run(["import", "rates", Self.samples.appendingPathComponent("rates.csv").path, "--database", conninfo]).exitCode == 0)
            #expect(try CLI.run(["facility", "schedule", "DPA-2026-0011", "--database", conninfo]).stdout.contains("at 6.8% (level-principal, quarterly)"))
            #expect(try CLI.run(["facility", "show", "NOPE", "--database", conninfo]).exitCode == 64)
        }
    }

    @Test func csvOutputNeutralizesFormulas() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let add = try CLI.run([
                "facility", "add", "--id", "EVIL-1", "--name", "=cmd|' /C calc'!A0", "--counterparty", "@SUM(A1:A9)", "--instrument", "grant",
                "--authority", "DPA-303", "--executive-order", "+EO 1", "--country", "US", "--state", "NV", "--naics", "331410", "--minerals", "gallium",
                "--cohort-fy", "2027", "--currency", "USD", "--obligated", "10", "--database", conninfo,
            ])
            #expect(add.exitCode == 0, "\(add.stderr)")
            let list = try CLI.run(["facility", "list", "--database", conninfo, "--format", "csv"])
            #expect(list.stdout.contains("EVIL-1,'=cmd|' /C calc'!A0,grant,DPA-303,US,NV,gallium,2027,USD,10.00\r\n"))
            let show = try CLI.run(["facility", "show", "EVIL-1", "--database", conninfo, "--format", "csv"])
            #expect(show.stdout.contains("counterparty,'@SUM(A1:A9)\r\n") && show.stdout.contains("executive_order,'+EO 1\r\n"))
        }
    }

    @Test func aBadFileNamesRowColumnAndValueAndWritesNothing() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            _ = try CLI.run(["db", "migrate", "--database", conninfo])
            let text = try String(contentsOf: Self.samples.appendingPathComponent("facilities.csv"), encoding: .utf8)
            let bad = text.replacingOccurrences(of: "US,NV,331492", with: "US,NV,33149x")
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv").path
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try CLI.run(["import", "facilities", path, "--database", conninfo])
            #expect(result.exitCode == 65)
            #expect(result.stderr.contains("row 6: naics \"33149x\": a NAICS code is 2 to 6 digits"))
            #expect(try CLI.run(["facility", "list", "--database", conninfo, "--format", "json"]).stdout.contains("\"facilities\" : [\n\n  ]"))
        }
    }
}

@Suite struct EventCommandTests {
    @Test func theSampleMonthPostsBalancesAndVerifies() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let samples = FacilityCommandTests.samples
            for args in [["db", "migrate"], ["import", "facilities", samples.appendingPathComponent("facilities.csv").path], ["import", "rates", samples.appendingPathComponent("rates.csv").path],
                         ["import", "fx-rates", samples.appendingPathComponent("fx-rates.csv").path]] {
                let r = try CLI.run(args + ["--database", conninfo])
                #expect(r.exitCode == 0, "\(args): \(r.stderr)")
            }
            let october = try CLI.run(["import", "events", samples.appendingPathComponent("events-2026-10.csv").path, "--database", conninfo])
            #expect(october.exitCode == 0, "\(october.stderr)")
            #expect(october.stdout.hasSuffix("events-2026-10.csv: 34 events posted, 0 already posted\n"))
            let again = try CLI.run(["import", "events", samples.appendingPathComponent("events-2026-10.csv").path, "--database", conninfo])
            #expect(again.stdout.hasSuffix("0 events posted, 34 already posted\n"))

            let monthEnd = try CLI.run(["month-end", "2026-10", "--database", conninfo, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(monthEnd.stdout.utf8)) as? [String: Any])
            let accruals = try #require(json["accruals"] as? [[String: Any]])
            #expect(accruals.map { $0["interest"] as? String } == ["59178.08", "28923.61", "18784.44"])
            #expect(try CLI.run(["month-end", "2026-10", "--database", conninfo]).stdout.contains("0 accruals posted, 3 already posted"))

            let rules = try CLI.run(["rules", "list", "--database", conninfo, "--format", "csv"])
            #expect(rules.stdout.contains("repay,direct-loan,*,2,credit,134100,Interest Receivable – Loans,proprietary,interest\r\n"))

            // A disbursement beyond the obligation, in a file: exit 65, the row named, nothing written.
            let bad = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString).csv").path
            try "event_id,date,facility_id,fund,type,amount,currency,reference,memo\nok-1,2026-11-02,DPA-2026-0007,,fee,10.00,,,\nbad-1,2026-11-03,DPA-2026-0007,,disburse,30000000.00,,,\n"
                .write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try CLI.run(["import", "events", bad, "--database", conninfo])
            #expect(refused.exitCode == 65)
            #expect(refused.stderr.contains("row 3: event bad-1 refused by the rule disbursement within the undisbursed obligation: disburse of 30000000.00 USD exceeds the undisbursed obligation of 27500000.00 USD by 2500000.00 USD"))
            let one = try CLI.run(["disburse", "--event-id", "ok-2", "--date", "2026-11-04", "--facility", "DPA-2026-0007", "--amount", "1000000", "--database", conninfo])
            #expect(one.exitCode == 0, "\(one.stderr)")
            #expect(one.stdout.contains("posted entry") && one.stdout.contains("for event ok-2"))
            #expect(try CLI.run(["verify", "--database", conninfo]).exitCode == 0)

            // Limits: a lower MCL from 2026-11-01 blocks a new obligation; report limits shows the breach.
            let set = try CLI.run(["limits", "set", "mcl", "--kind", "mcl", "--from", "2026-11-01", "--cap-usd", "100000000", "--severity", "block", "--note", "test", "--database", conninfo])
            #expect(set.exitCode == 0 && set.stdout == "limit mcl is 100000000.00 USD (block) from 2026-11-01\n", "\(set.stderr)")
            let blocked = try CLI.run(["obligate", "--event-id", "big", "--date", "2026-11-05", "--facility", "DPA-2027-0003", "--amount", "1", "--database", conninfo])
            #expect(blocked.exitCode == 65 && blocked.stderr.contains("refused by the rule limit mcl: mcl: "), "\(blocked.stderr)")
            let report = try CLI.run(["report", "limits", "--as-of", "2026-11-05", "--database", conninfo, "--format", "json", "--fail-on-breach"])
            #expect(report.exitCode == 2)
            let limits = try #require((try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])?["limits"] as? [[String: String]])
            #expect(limits.first { $0["limit"] == "mcl" }?["status"] == "breach")
            #expect(limits.first { $0["limit"] == "mcl" }?["cap"] == "100000000.00")
        }
    }
}

@Suite struct ReadOnlyServerTests {
    /// A standby refuses writes with SQLSTATE 25006, as a server with default_transaction_read_only does.
    @Test func readCommandsWorkAndWriteCommandsRefuseClearly() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let readOnly = conninfo + " options='-c default_transaction_read_only=on'"
            for args in [["report", "trial-balance", "--as-of", "2026-10-31"], ["report", "limits", "--as-of", "2026-10-31"], ["verify", "--no-seal"], ["facility", "list"]] {
                let r = try CLI.run(args + ["--database", readOnly])
                #expect(r.exitCode == 0, "\(args): \(r.stderr)")
            }
            let write = try CLI.run(["disburse", "--event-id", "ro-1", "--date", "2026-11-02", "--facility", "DPA-2026-0007", "--amount", "1", "--database", readOnly])
            #expect(write.exitCode == 69)
            #expect(write.stderr.contains("this server only reads (a standby, or default_transaction_read_only): write commands need the primary"))
            #expect(try CLI.run(["month-end", "2026-11", "--database", readOnly]).exitCode == 69)
        }
    }
}

@Suite struct RoleTests {
    @Test func eachRoleDoesItsWorkAndIsToldWhichRightItLacks() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            #expect(try CLI.run(["db", "migrate", "--database", conninfo]).exitCode == 0)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let officer = "officer_\(suffix)", reporter = "reporter_\(suffix)"
            let admin = try TestDatabase.connect(conninfo)
            try admin.execute(unsafeSQL: "CREATE ROLE \(officer) LOGIN IN ROLE ledger_officer; CREATE ROLE \(reporter) LOGIN IN ROLE ledger_reporter")
            defer { _ = try? admin.execute(unsafeSQL: "DROP ROLE IF EXISTS \(officer); DROP ROLE IF EXISTS \(reporter)") }
            let asOfficer = conninfo + " user=\(officer)", asReporter = conninfo + " user=\(reporter)"
            let samples = FacilityCommandTests.samples

            for args in [["import", "facilities", "facilities.csv"], ["import", "rates", "rates.csv"], ["import", "fx-rates", "fx-rates.csv"], ["import", "events", "events-2026-10.csv"]] {
                let r = try CLI.run(Array(args.dropLast()) + [samples.appendingPathComponent(args.last!).path, "--database", asOfficer])
                #expect(r.exitCode == 0, "officer \(args): \(r.stderr)")
            }
            #expect(try CLI.run(["month-end", "2026-10", "--database", asOfficer]).exitCode == 0)
            #expect(try CLI.run(["period", "close", "2026-10", "--database", asOfficer]).exitCode == 0)
            #expect(try admin.scalar(String.self, "SELECT DISTINCT recorded_by FROM ledger.journal_entry") == officer)
            let limits = try CLI.run(["limits", "set", "mcl", "--kind", "mcl", "--from", "2027-01-01", "--cap-usd", "1", "--severity", "block", "--database", asOfficer])
            #expect(limits.exitCode == 77)
            #expect(limits.stderr.contains("your database role lacks a right: permission denied for table limit_config"))
            // Derived rows are the triggers' alone.
            let officerDB = try TestDatabase.connect(asOfficer)
            #expect(throws: PostgresError.self) { try officerDB.execute("UPDATE ledger.balance_month SET debit_minor = 0") }
            #expect(throws: PostgresError.self) { try officerDB.execute("UPDATE ledger.event_month SET day_amount_minor[1] = 0") }
            // Journal rows only through the posting path (ledger.post_entry), even for an officer.
            #expect(throws: PostgresError.self) {
                try officerDB.execute("INSERT INTO ledger.journal_entry (event_key, effective_date, description, line_count) VALUES ('raw', '2026-11-02', 'raw', 2)")
            }
            #expect(throws: PostgresError.self) { try officerDB.execute("INSERT INTO ledger.event (event_id, entry_id, event_type, fund, effective_date, currency) VALUES ('x', 1, 'fee', 'PRG', '2026-11-02', 'USD')") }

            #expect(try CLI.run(["report", "trial-balance", "--as-of", "2026-10-31", "--database", asReporter]).exitCode == 0)
            #expect(try CLI.run(["report", "limits", "--as-of", "2026-10-31", "--database", asReporter]).exitCode == 0)
            #expect(try CLI.run(["verify", "--no-seal", "--database", asReporter]).exitCode == 0)
            let write = try CLI.run(["import", "events", samples.appendingPathComponent("events-2026-11.csv").path, "--database", asReporter])
            #expect(write.exitCode == 77 && write.stderr.contains("permission denied for function post_entr"), "\(write.stderr)")
            // Everything the officer wrote was sealed after each write, so verify has nothing to seal.
            #expect(try CLI.run(["verify", "--database", asReporter]).exitCode == 0)
            #expect(try admin.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE effective_date >= '2026-11-01'") == 0, "nothing written")

            // The reconciler stores statements and their matches, and never posts; the reporter stores none.
            let reconciler = "reconciler_\(suffix)"
            try admin.execute(unsafeSQL: "CREATE ROLE \(reconciler) LOGIN IN ROLE ledger_reconciler")
            defer { _ = try? admin.execute(unsafeSQL: "DROP ROLE IF EXISTS \(reconciler)") }
            let asReconciler = conninfo + " user=\(reconciler)"
            let statement = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-oct.csv")
            try "date,amount,reference,description\n2026-10-15,-1.00,BANK-FEE,Account fee\n".write(to: statement, atomically: true, encoding: .utf8)
            let reconcile = ["reconcile", "statement", statement.path, "--account", "101000", "--fund", "PRG", "--opening", "0", "--closing=-1.00"]
            let denied = try CLI.run(reconcile + ["--database", asReporter])
            #expect(denied.exitCode == 77 && denied.stderr.contains("permission denied for table bank_statement"), "\(denied.stderr)")
            let stored = try CLI.run(reconcile + ["--format", "json", "--database", asReconciler])
            #expect(stored.exitCode == 0, "\(stored.stderr)")
            #expect(try admin.scalar(String.self, "SELECT recorded_by FROM ledger.bank_statement") == reconciler)
            let breaks = try CLI.run(["reconcile", "breaks", "--fund", "PRG", "--as-of", "2026-10-31", "--format", "json", "--database", asReconciler])
            #expect(breaks.exitCode == 0 && breaks.stdout.contains("BANK-FEE"), "\(breaks.stderr)")
            let fee = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-fee.json")
            try """
                {"event_id": "ADJ-FEE", "date": "2026-11-02", "description": "bank fee",
                 "lines": [{"account": "610000", "fund": "PRG", "side": "debit", "amount": "1.00", "currency": "USD"},
                           {"account": "101000", "fund": "PRG", "side": "credit", "amount": "1.00", "currency": "USD"}]}
                """.write(to: fee, atomically: true, encoding: .utf8)
            let post = try CLI.run(["post", fee.path, "--database", asReconciler])
            #expect(post.exitCode == 77 && post.stderr.contains("permission denied"), "\(post.stderr)")
        }
    }
}

@Suite struct ConcurrencyTests {
    /// The sample portfolio with October's funding and obligations, in a fresh database.
    func base(_ conninfo: String) throws {
        let samples = FacilityCommandTests.samples
        #expect(try CLI.run(["db", "migrate", "--database", conninfo]).exitCode == 0)
        for (command, file) in [("facilities", "facilities.csv"), ("rates", "rates.csv"), ("fx-rates", "fx-rates.csv"), ("events", "events-2026-10.csv")] {
            let r = try CLI.run(["import", command, samples.appendingPathComponent(file).path, "--database", conninfo])
            #expect(r.exitCode == 0, "\(file): \(r.stderr)")
        }
    }

    /// Events whose validity does not depend on their order (amounts far below every limit), on
    /// facilities every file shares.
    func files(count: Int, events: Int) throws -> [String] {
        let kinds: [(facility: String, type: String)] = [
            ("DPA-2026-0007", "disburse"), ("DPA-2026-0011", "fee"), ("DFC-2027-0101", "disburse"), ("DPA-2027-0003", "purchase"),
            ("DPA-2027-0002", "equity-valuation"), ("DPA-2026-0014", "guarantee-issue"), ("DPA-2026-0007", "fee"), ("DPA-2027-0005", "disburse"),
        ]
        return try (0..<count).map { p in
            var csv = "event_id,date,facility_id,fund,type,amount,currency,reference,memo\n"
            for i in 0..<events {
                let k = kinds[(i + p) % kinds.count]
                csv += "c\(p)-\(i),2026-11-\(String(format: "%02d", 2 + (i + 3 * p) % 27)),\(k.facility),,\(k.type),\(1 + (i * 7 + p) % 50).\(String(format: "%02d", (i * 13 + p) % 100)),,,\n"
            }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("concurrent-\(UUID().uuidString)-\(p).csv").path
            try csv.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    @Test func eightProcessesEndWithTheTotalsOfASequentialRun() throws {
        let inputs = try files(count: 8, events: 2_000)
        let concurrent = try TestDatabase.withFreshDatabase { conninfo -> String in
            try base(conninfo)
            let failures = Mutex<[String]>([])
            onThreads(inputs.count) { i in
                do {
                    let r = try CLI.run(["import", "events", inputs[i], "--database", conninfo])
                    if r.exitCode != 0 { failures.withLock { $0.append("file \(i): exit \(r.exitCode) \(r.stderr)") } }
                } catch {
                    failures.withLock { $0.append("file \(i): \(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(try CLI.run(["verify", "--database", conninfo]).exitCode == 0)
            return try CLI.run(["report", "trial-balance", "--as-of", "2026-11-30", "--database", conninfo, "--format", "csv"]).stdout
        }
        let sequential = try TestDatabase.withFreshDatabase { conninfo -> String in
            try base(conninfo)
            for file in inputs { #expect(try CLI.run(["import", "events", file, "--database", conninfo]).exitCode == 0) }
            return try CLI.run(["report", "trial-balance", "--as-of", "2026-11-30", "--database", conninfo, "--format", "csv"]).stdout
        }
        #expect(concurrent == sequential)
        #expect(concurrent.split(separator: "\r\n").count > 30)
    }
}

@Suite struct FaultTests {
    /// Starts `import events` of a 6,000-event file and returns once it reports 2,000 done.
    static func startImportUntilProgress(_ file: String, _ conninfo: String) throws -> (Process, Pipe, Data) {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["import", "events", file, "--database", conninfo]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("import events: 2000 of 6000") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        return (process, err, seen)
    }

    @Test func killedHalfWayThenRerunPostsEveryEventExactlyOnce() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let file = try ConcurrencyTests().files(count: 1, events: 6_000)[0]
            // Wait until it reports progress, then kill -9.
            let (process, _, _) = try Self.startImportUntilProgress(file, conninfo)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            let db = try TestDatabase.connect(conninfo)
            // Its transaction died with it: nothing of the file is there.
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE event_id LIKE 'c0-%'") == 0)

            let rerun = try CLI.run(["import", "events", file, "--database", conninfo])
            #expect(rerun.exitCode == 0, "\(rerun.stderr)")
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE event_id LIKE 'c0-%'") == 6_000)
            #expect(try CLI.run(["import", "events", file, "--database", conninfo]).stdout.hasSuffix("0 events posted, 6000 already posted\n"))
            #expect(try CLI.run(["verify", "--database", conninfo]).exitCode == 0)
        }
    }

    @Test func killedBetweenPostingAndSummarizingLeavesNothingWrong() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let file = try ConcurrencyTests().files(count: 1, events: 300)[0]
            let db = try TestDatabase.connect(conninfo)
            let pastTheWatermark: SQL = """
                SELECT count(*) FROM ledger.journal_entry e, ledger.summary_position w WHERE (e.recorded_xid, e.entry_id) > (w.recorded_xid, w.entry_id)
                """
            #expect(try db.scalar(Int64.self, pastTheWatermark) == 0)
            // The summarizer's watermark held by another transaction: the import commits its
            // events, seals them, then waits to summarize them; there it is killed.
            let holder = try TestDatabase.connect(conninfo)
            try holder.execute("BEGIN")
            _ = try holder.query("SELECT * FROM ledger.summary_position FOR UPDATE")
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["import", "events", file, "--database", conninfo]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let waiting: SQL = """
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ledger.summarize()%'
                """
            var polls = 0
            while try db.scalar(Int64.self, waiting) != 1 && polls < 1_200 {
                usleep(50_000)
                polls += 1
            }
            #expect(polls < 1_200, "the import reached the summarizer")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            try holder.execute("ROLLBACK")
            // Its summarizing transaction ends with its connection.
            while try db.scalar(Int64.self, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%ledger.summarize()%' AND pid <> pg_backend_pid()") != 0 {
                usleep(20_000)
            }
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE event_id LIKE 'c0-%'") == 300, "the events were committed")
            #expect(try db.scalar(Int64.self, pastTheWatermark) == 300, "and not summarized")

            // Read past the watermark, the reports are those the next run's summaries give.
            let reads = [
                ["report", "trial-balance", "--as-of", "2026-11-30", "--format", "csv"], ["report", "trial-balance", "--as-of", "2026-11-10", "--format", "csv"],
                ["report", "limits", "--as-of", "2026-11-30"], ["report", "exposure", "--month", "2026-11", "--format", "json"],
            ]
            let before = try reads.map { try CLI.run($0 + ["--database", conninfo]) }
            #expect(before.allSatisfy { $0.exitCode == 0 }, "\(before.map(\.stderr))")
            #expect(try db.scalar(Int64.self, pastTheWatermark) == 300, "reads summarize nothing")
            let next = try CLI.run(["verify", "--database", conninfo])
            #expect(next.exitCode == 0, "\(next.stdout)\(next.stderr)")
            #expect(try db.scalar(Int64.self, pastTheWatermark) == 0, "the next run summarized them")
            let after = try reads.map { try CLI.run($0 + ["--database", conninfo]) }
            #expect(zip(before, after).allSatisfy { $0.stdout == $1.stdout && !$0.stdout.isEmpty })
            #expect(before[0].stdout.contains("135000"))
        }
    }

    @Test func aLargeFileIsSummarizedBesideItsSealing() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let file = try ConcurrencyTests().files(count: 1, events: 10_000)[0]
            let r = try CLI.run(["import", "events", file, "--database", conninfo])
            #expect(r.exitCode == 0 && !r.stderr.contains("warning"), "\(r.stderr)")
            let db = try TestDatabase.connect(conninfo)
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry e, ledger.summary_position w WHERE (e.recorded_xid, e.entry_id) > (w.recorded_xid, w.entry_id)") == 0)
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry e WHERE NOT EXISTS (SELECT FROM ledger.entry_seal s WHERE s.entry_id = e.entry_id)") == 0)
            let verify = try CLI.run(["verify", "--no-seal", "--database", conninfo])
            #expect(verify.exitCode == 0, "\(verify.stdout)")
        }
    }

    @Test func theServerSideGoneDuringAnImportIsAClearErrorAndARetrySucceeds() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let file = try ConcurrencyTests().files(count: 1, events: 6_000)[0]
            let (process, err, firstOutput) = try Self.startImportUntilProgress(file, conninfo)
            var seen = firstOutput
            // As a server restart does to it: its backend is terminated mid-transaction.
            let admin = try TestDatabase.connect(conninfo)
            _ = try admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            seen.append(err.fileHandleForReading.readDataToEndOfFile())
            process.waitUntilExit()
            let stderr = String(decoding: seen, as: UTF8.self)
            #expect(process.terminationStatus == 69, "\(stderr)")
            #expect(stderr.contains("terminating connection due to administrator command") || stderr.contains("connection"), "\(stderr)")
            #expect(try admin.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE event_id LIKE 'c0-%'") == 0)
            let retry = try CLI.run(["import", "events", file, "--database", conninfo])
            #expect(retry.exitCode == 0, "\(retry.stderr)")
            #expect(try admin.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE event_id LIKE 'c0-%'") == 6_000)
        }
    }

    @Test func aStatementTimeoutIsACleanErrorWithNothingWritten() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let file = try ConcurrencyTests().files(count: 1, events: 3_000)[0]
            let before = try TestDatabase.connect(conninfo).scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line")
            let r = try CLI.run(["import", "events", file, "--database", conninfo + " options='-c statement_timeout=1'"])
            #expect(r.exitCode == 1)
            // The server cancels the statement (SQLSTATE 57014: "statement timeout", or at 1 ms
            // sometimes reported as a cancel request).
            #expect(r.stderr.contains("canceling statement due to") && r.stderr.contains("SQLSTATE 57014"), "\(r.stderr)")
            #expect(try TestDatabase.connect(conninfo).scalar(Int64.self, "SELECT count(*) FROM ledger.journal_line") == before)
        }
    }
}

@Suite struct BadInputCorpusTests {
    static var corpus: URL {
        FacilityCommandTests.samples.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpus")
    }

    /// Row counts of every ledger table and the journal's total: what "unchanged" means.
    static func fingerprint(_ db: Connection) throws -> String {
        let tables = try db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'ledger' ORDER BY 1").map { try $0.decode(String.self, at: 0) }
        var parts: [String] = []
        for t in tables { parts.append("\(t)=\(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.\(identifier: t)") ?? -1)") }
        parts.append("sum=\(try db.scalar(Int64.self, "SELECT coalesce(sum(amount_minor), 0)::bigint FROM ledger.journal_line") ?? -1)")
        return parts.joined(separator: " ")
    }

    @Test func everyBadFileGetsItsExitCodeAndMessageAndChangesNothing() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            try ConcurrencyTests().base(conninfo)
            let db = try TestDatabase.connect(conninfo)
            let manifest = try String(contentsOf: Self.corpus.appendingPathComponent("manifest.tsv"), encoding: .utf8)
            var cases = 0
            for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                let (file, command, code, message) = (f[0], f[1], Int32(f[2])!, f[3])
                let path = Self.corpus.appendingPathComponent(file).path
                let before = try Self.fingerprint(db)
                let args = command == "post" ? ["post", path] : ["import", command, path]
                let r = try CLI.run(args + ["--database", conninfo])
                #expect(r.exitCode == code, "\(file): exit \(r.exitCode), \(r.stderr)")
                #expect((r.stdout + r.stderr).contains(message), "\(file): \(r.stderr)")
                if code != 0 {
                    #expect(r.stderr.contains(file), "\(file): the message names the file")
                    #expect(try Self.fingerprint(db) == before, "\(file) changed the database")
                }
                cases += 1
            }
            #expect(cases >= 30)
            // The injection attempts were stored as text, never run.
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM ledger.account") == 30)
        }
    }
}
