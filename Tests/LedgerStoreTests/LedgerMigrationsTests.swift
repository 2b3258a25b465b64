// Proves the ledger's schema against the real server: every file in Schema/ is embedded and
// registered, the migrations apply to an empty database, the seeded chart of accounts and funds
// match DOMAIN.md §3, and the table constraints refuse malformed accounts.
import Foundation
import Ledger
import LedgerStore
import Postgres
import TestSupport
import Testing

@Suite struct LedgerMigrationsTests {
    @Test func everySchemaFileIsEmbeddedVerbatim() throws {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Schema").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == LedgerMigrations.all.map(\.name))
        for migration in LedgerMigrations.all {
            let onDisk = try String(contentsOf: schema.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(onDisk == migration.sql, "\(migration.name) differs from the embedded copy")
        }
    }

    @Test func migratesAnEmptyDatabaseAndSeedsTheChart() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let store = try LedgerStore(conninfo: conninfo)
            try LedgerMigrations.migrator().migrate(store.connection)
            #expect(try LedgerMigrations.migrator().status(store.connection).isCurrent)
            let accounts = try store.accounts()
            #expect(accounts.count == 30)
            #expect(accounts.filter { $0.set == .budgetary }.count == 9)
            #expect(accounts.filter { $0.set == .memorandum }.map(\.number) == ["920100", "921100"])
            let loans = try #require(accounts.first { $0.number == "135000" })
            #expect(loans == Account(number: "135000", title: "Loans Receivable", set: .proprietary, type: "asset", normalBalance: .debit))
            #expect(accounts.first { $0.number == "426600" }?.needsVerification == true)
            #expect(try store.funds().map(\.code) == ["DPA", "EQ", "FIN-DL", "FIN-LG", "PRG"])
        }
    }

    @Test func constraintsRefuseMalformedAccounts() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            try LedgerMigrations.migrator().migrate(db)
            func violated(_ sql: SQL) -> String? {
                do {
                    try db.execute(sql)
                    return nil
                } catch { return (error as? PostgresError)?.constraint }
            }
            #expect(violated("INSERT INTO ledger.account VALUES ('12345', 'x', 'proprietary', 'asset', 'debit')") == "account_number_six_digits")
            #expect(violated("INSERT INTO ledger.account VALUES ('123456', 'x', 'memorandum', 'memo', 'debit')") == "account_memorandum_range")
            #expect(violated("INSERT INTO ledger.account VALUES ('923456', 'x', 'budgetary', 'memo', 'debit')") == "account_memorandum_range")
            #expect(violated("INSERT INTO ledger.account VALUES ('123456', 'x', 'proprietary', 'asset', 'left')") == "account_normal_balance_side")
            #expect(violated("INSERT INTO ledger.account VALUES ('123456', ' ', 'proprietary', 'asset', 'debit')") == "account_title_present")
            #expect(violated("INSERT INTO ledger.fund VALUES ('fin', 'x', 'program')") == "fund_code_format")
        }
    }
}
