// Proves the migrator against the real server: applies in order and records checksums, is
// idempotent, refuses an edited or unknown migration, rolls back a failing file whole, and lets
// several processes migrate at once.
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite struct MigratorTests {
    static let first = try! Migration(name: "0001_accounts.sql", sql: "CREATE TABLE account (number text PRIMARY KEY);")
    static let second = try! Migration(
        name: "0002_seed.sql", sql: "INSERT INTO account VALUES ('101000'); INSERT INTO account VALUES ('135000');")

    @Test func appliesInOrderOnceAndRecordsChecksums() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            let migrator = try Migrator([Self.second, Self.first])
            let before = try migrator.status(db)
            #expect(before.applied.isEmpty)
            #expect(before.pending.map(\.name) == ["0001_accounts.sql", "0002_seed.sql"])
            #expect(try migrator.migrate(db).map(\.name) == ["0001_accounts.sql", "0002_seed.sql"])
            #expect(try migrator.migrate(db).isEmpty, "second run applies nothing")
            let after = try migrator.status(db)
            #expect(after.isCurrent)
            #expect(after.applied.map(\.sha256) == [Self.first.sha256, Self.second.sha256])
            #expect(after.applied.first?.appliedBy == "postgres")
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM account") == 2)
        }
    }

    @Test func refusesAnEditedMigration() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            try Migrator([Self.first]).migrate(db)
            let edited = try Migration(name: "0001_accounts.sql", sql: "CREATE TABLE account (number text);")
            #expect(throws: MigrationError.changed(name: "0001_accounts.sql", appliedSHA256: Self.first.sha256, currentSHA256: edited.sha256)) {
                try Migrator([edited, Self.second]).migrate(db)
            }
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM account") == 0, "0002 was not applied either")
            #expect(try Migrator([edited]).status(db).changed == ["0001_accounts.sql"])
        }
    }

    @Test func refusesADatabaseNewerThanTheProgram() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            try Migrator([Self.first, Self.second]).migrate(db)
            #expect(throws: MigrationError.unknownApplied(name: "0002_seed.sql")) {
                try Migrator([Self.first]).migrate(db)
            }
        }
    }

    @Test func refusesADatabaseBuiltFromRetiredMigrations() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            try Migrator([Self.first, Self.second]).migrate(db)
            let baseline = try Migration(name: "0001_baseline.sql", sql: "CREATE TABLE account2 (number text PRIMARY KEY);")
            let migrator = try Migrator([baseline], retired: ["0001_accounts.sql", "0002_seed.sql"], retiredAdvice: "rebuild it")
            #expect(throws: MigrationError.retired(name: "0001_accounts.sql", advice: "rebuild it")) { try migrator.migrate(db) }
            let status = try migrator.status(db)
            #expect(status.retired == ["0001_accounts.sql", "0002_seed.sql"] && status.unknown.isEmpty && !status.isCurrent)
            #expect(try db.scalar(Bool.self, "SELECT to_regclass('account2') IS NULL") == true, "nothing applied")
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let db = try TestDatabase.connect(conninfo)
            let broken = try Migration(name: "0002_broken.sql", sql: "CREATE TABLE half (v int); INSERT INTO nowhere VALUES (1);")
            #expect(throws: PostgresError.self) { try Migrator([Self.first, broken]).migrate(db) }
            let status = try Migrator([Self.first, broken]).status(db)
            #expect(status.applied.map(\.name) == ["0001_accounts.sql"])
            #expect(try db.scalar(Bool.self, "SELECT to_regclass('half') IS NULL") == true)
        }
    }

    @Test func rejectsBadNamesAndDuplicateNumbers() {
        #expect(throws: MigrationError.badName("1_x.sql")) { try Migration(name: "1_x.sql", sql: "") }
        #expect(throws: MigrationError.badName("0001_X.sql")) { try Migration(name: "0001_X.sql", sql: "") }
        #expect(throws: MigrationError.badName("0001_x.txt")) { try Migration(name: "0001_x.txt", sql: "") }
        let dup = try! Migration(name: "0001_other.sql", sql: "")
        #expect(throws: MigrationError.duplicateNumber(1, "0001_accounts.sql", "0001_other.sql")) {
            try Migrator([Self.first, dup])
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let slow = try Migration(name: "0003_slow.sql", sql: "SELECT pg_sleep(0.2); CREATE TABLE slow (v int);")
            let migrations = [Self.first, Self.second, slow]
            let appliedCounts = Mutex<[Int]>([])
            let failures = Mutex<[String]>([])
            onThreads(4) { _ in
                do {
                    let db = try TestDatabase.connect(conninfo)
                    let applied = try Migrator(migrations).migrate(db)
                    appliedCounts.withLock { $0.append(applied.count) }
                } catch {
                    failures.withLock { $0.append(String(describing: error)) }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(appliedCounts.withLock { $0.sorted() } == [0, 0, 0, 3])
            let db = try TestDatabase.connect(conninfo)
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM schema_migrations") == 3)
            #expect(try db.scalar(Int64.self, "SELECT count(*) FROM account") == 2)
        }
    }
}
