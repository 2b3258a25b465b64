import Postgres

/// The ledger's schema migrations, embedded in the program from `Schema/` at build time, so that a
/// binary always carries exactly the schema it was built and tested with.
///
/// A new file in `Schema/` is registered here too; `LedgerMigrationsTests` fails if one is missing.
public enum LedgerMigrations {
    public static let all: [Migration] = [
        migration("0001_chart_of_accounts.sql", PackageResources._001_chart_of_accounts_sql),
        migration("0002_journal.sql", PackageResources._002_journal_sql),
        migration("0003_audit_chain.sql", PackageResources._003_audit_chain_sql),
        migration("0004_facilities.sql", PackageResources._004_facilities_sql),
        migration("0005_events.sql", PackageResources._005_events_sql),
        migration("0006_limits.sql", PackageResources._006_limits_sql),
        migration("0007_balance_day.sql", PackageResources._007_balance_day_sql),
        migration("0008_roles.sql", PackageResources._008_roles_sql),
        migration("0009_posting_path.sql", PackageResources._009_posting_path_sql),
        migration("0010_post_entries.sql", PackageResources._010_post_entries_sql),
        migration("0011_set_based_checks.sql", PackageResources._011_set_based_checks_sql),
        migration("0012_references_per_statement.sql", PackageResources._012_references_per_statement_sql),
        migration("0013_seals_per_statement.sql", PackageResources._013_seals_per_statement_sql),
        migration("0014_one_entry_fast_path.sql", PackageResources._014_one_entry_fast_path_sql),
        migration("0015_balances_folded_per_transaction.sql", PackageResources._015_balances_folded_per_transaction_sql),
        migration("0016_cheaper_format_checks.sql", PackageResources._016_cheaper_format_checks_sql),
        migration("0017_postings_checked_in_a_loop.sql", PackageResources._017_postings_checked_in_a_loop_sql),
        migration("0018_fold_in_memory.sql", PackageResources._018_fold_in_memory_sql),
        migration("0019_batches_as_arrays.sql", PackageResources._019_batches_as_arrays_sql),
        migration("0020_month_balances_at_close.sql", PackageResources._020_month_balances_at_close_sql),
        migration("0021_one_entry_as_arrays.sql", PackageResources._021_one_entry_as_arrays_sql),
        migration("0022_event_month.sql", PackageResources._022_event_month_sql),
        migration("0023_statements.sql", PackageResources._023_statements_sql),
        migration("0024_statement_movements.sql", PackageResources._024_statement_movements_sql),
    ]

    public static func migrator() throws -> Migrator { try Migrator(all) }

    private static func migration(_ name: String, _ bytes: [UInt8]) -> Migration {
        do { return try Migration(name: name, sql: String(decoding: bytes, as: UTF8.self)) } catch {
            preconditionFailure("embedded migration \(name): \(error)")
        }
    }
}
