// Proves the command-line contract by running the built dfc-ledger binary: db status before and
// after db migrate, the exit codes of DESIGN.md §5, and that no password is ever printed.
import Foundation
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
        let process = Process()
        process.executableURL = binary
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
            #expect(before.stdout.contains("0001_chart_of_accounts.sql  pending"))
            #expect(before.stdout.contains("0002_journal.sql            pending"))
            #expect(before.stdout.contains("(PostgreSQL 15."))

            let migrate = try CLI.run(["db", "migrate", "--database", conninfo])
            #expect(migrate.exitCode == 0, "\(migrate.stderr)")
            #expect(migrate.stdout.contains("applied 0001_chart_of_accounts.sql"))
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
