import Crypto
import Dates

/// One schema migration: a numbered SQL file such as `0001_ledger_core.sql`.
///
/// The file runs in its own transaction (it must not contain BEGIN or COMMIT). Once applied, its
/// SHA-256 is recorded; a later change to the file makes the migrator refuse to run.
public struct Migration: Sendable, Hashable {
    /// The file name, `NNNN_words.sql`.
    public let name: String
    /// The four-digit number that orders migrations.
    public let number: Int
    public let sql: String
    /// Lower-case hex SHA-256 of the file's UTF-8 bytes.
    public let sha256: String

    public init(name: String, sql: String) throws(MigrationError) {
        let parts = name.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 4, let number = Int(parts[0]), name.hasSuffix(".sql"),
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == ".") })
        else { throw .badName(name) }
        self.name = name
        self.number = number
        self.sql = sql
        self.sha256 = SHA256.hash(data: Array(sql.utf8)).map { hexByte($0) }.joined()
    }
}

/// A migration recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Hashable {
    public let name: String
    public let sha256: String
    public let appliedAt: Instant
    public let appliedBy: String
}

/// What the database has compared with what the program carries.
public struct MigrationStatus: Sendable {
    /// Applied migrations, in order.
    public var applied: [AppliedMigration]
    /// Known migrations not yet applied, in order.
    public var pending: [Migration]
    /// Applied migrations whose file has since changed (the migrator refuses to run).
    public var changed: [String]
    /// Applied migrations this program does not know (the database is newer than the program).
    public var unknown: [String]
    /// Applied migrations that a baseline has replaced (the database was built from them).
    public var retired: [String]

    public var isCurrent: Bool { pending.isEmpty && changed.isEmpty && unknown.isEmpty && retired.isEmpty }
}

/// Why migrations cannot run.
public enum MigrationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A file name is not `NNNN_lowercase_words.sql`.
    case badName(String)
    /// Two files share a number.
    case duplicateNumber(Int, String, String)
    /// An applied migration's file no longer matches what was applied.
    case changed(name: String, appliedSHA256: String, currentSHA256: String)
    /// The database has a migration this program does not carry.
    case unknownApplied(name: String)
    /// The database was built from migrations a baseline has since replaced; `advice` says how
    /// to rebuild it.
    case retired(name: String, advice: String)

    public var description: String {
        switch self {
        case .badName(let name):
            "migration file name \"\(name)\" is not of the form NNNN_lowercase_words.sql"
        case .duplicateNumber(let n, let a, let b):
            "migrations \(a) and \(b) share the number \(n)"
        case .changed(let name, let applied, let current):
            "migration \(name) was applied with SHA-256 \(applied) but the file now has \(current); "
                + "an applied migration is never edited: add a new migration instead"
        case .unknownApplied(let name):
            "the database has migration \(name), which this program does not know; use a newer dfc-ledger"
        case .retired(let name, let advice):
            "the database was built from migration \(name) and the others a baseline has replaced; it cannot be migrated: \(advice)"
        }
    }
}

/// Applies numbered migrations in order, each in its own transaction, recording each one's name
/// and SHA-256 in `schema_migrations`.
///
/// Safe when several processes migrate at once: a session advisory lock serialises them, and the
/// later ones find nothing left to do.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    /// Names of migrations a baseline replaced, and what to tell the owner of a database built
    /// from them.
    public let retired: Set<String>
    public let retiredAdvice: String
    /// Key of the advisory lock held while migrating.
    static let lockKey: Int64 = 0x6466_636c_6d69_6772  // "dfclmigr"

    public init(_ migrations: [Migration], retired: Set<String> = [], retiredAdvice: String = "") throws(MigrationError) {
        let sorted = migrations.sorted { $0.number < $1.number }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.number == b.number {
            throw .duplicateNumber(a.number, a.name, b.name)
        }
        self.migrations = sorted
        self.retired = retired
        self.retiredAdvice = retiredAdvice
    }

    /// Compares the database with the migrations; reads only. A database never migrated has every
    /// migration pending.
    public func status(_ connection: Connection) throws -> MigrationStatus {
        let applied = try appliedMigrations(connection)
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
        let appliedNames = Set(applied.map(\.name))
        return MigrationStatus(
            applied: applied,
            pending: migrations.filter { !appliedNames.contains($0.name) },
            changed: applied.filter { a in known[a.name].map { $0.sha256 != a.sha256 } ?? false }.map(\.name),
            unknown: applied.filter { known[$0.name] == nil && !retired.contains($0.name) }.map(\.name),
            retired: applied.filter { retired.contains($0.name) }.map(\.name))
    }

    /// Applies every pending migration and returns those it applied (none when up to date).
    /// Throws `MigrationError` before applying anything if an applied file changed, is unknown or
    /// was retired by a baseline.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Migration] {
        try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try connection.execute(
            unsafeSQL: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name text PRIMARY KEY,
                    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    applied_by text NOT NULL DEFAULT session_user
                )
                """)
        let status = try status(connection)
        if let name = status.retired.first { throw MigrationError.retired(name: name, advice: retiredAdvice) }
        if let name = status.unknown.first { throw MigrationError.unknownApplied(name: name) }
        if let name = status.changed.first {
            let applied = status.applied.first { $0.name == name }!.sha256
            let current = migrations.first { $0.name == name }!.sha256
            throw MigrationError.changed(name: name, appliedSHA256: applied, currentSHA256: current)
        }
        for migration in status.pending {
            try connection.transaction { tx in
                try tx.execute(unsafeSQL: migration.sql)
                try tx.execute("INSERT INTO schema_migrations (name, sha256) VALUES (\(migration.name), \(migration.sha256))")
            }
            connection.logger.info("applied migration \(migration.name)")
        }
        return status.pending
    }

    private func appliedMigrations(_ connection: Connection) throws -> [AppliedMigration] {
        guard try connection.scalar(Bool.self, "SELECT to_regclass('schema_migrations') IS NOT NULL") == true else {
            return []
        }
        return try connection.query("SELECT name, sha256, applied_at, applied_by FROM schema_migrations ORDER BY name").map {
            AppliedMigration(
                name: try $0.decode(at: 0), sha256: try $0.decode(at: 1), appliedAt: try $0.decode(at: 2),
                appliedBy: try $0.decode(at: 3))
        }
    }
}

private func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
}
