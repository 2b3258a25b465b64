import Postgres

/// The ledger's schema migrations, embedded in the program from `Schema/` at build time, so that a
/// binary always carries exactly the schema it was built and tested with.
///
/// `0001`–`0010` are the baseline: the final design of the first release stated once, a file per
/// concern. Migrations after it are append-only again: a new file in `Schema/` is registered here
/// too (`LedgerMigrationsTests` fails if one is missing), and an applied one is never edited.
public enum LedgerMigrations {
    public static let all: [Migration] = [
        migration("0001_schema_and_roles.sql", PackageResources._001_schema_and_roles_sql),
        migration("0002_chart_and_funds.sql", PackageResources._002_chart_and_funds_sql),
        migration("0003_journal.sql", PackageResources._003_journal_sql),
        migration("0004_balances.sql", PackageResources._004_balances_sql),
        migration("0005_audit_chain.sql", PackageResources._005_audit_chain_sql),
        migration("0006_facilities.sql", PackageResources._006_facilities_sql),
        migration("0007_events_and_posting_rules.sql", PackageResources._007_events_and_posting_rules_sql),
        migration("0008_limits.sql", PackageResources._008_limits_sql),
        migration("0009_posting_functions.sql", PackageResources._009_posting_functions_sql),
        migration("0010_statements.sql", PackageResources._010_statements_sql),
        migration("0011_approvals.sql", PackageResources._011_approvals_sql),
        migration("0012_summaries.sql", PackageResources._012_summaries_sql),
        migration("0013_statement_references.sql", PackageResources._013_statement_references_sql),
        migration("0014_summarize_by_size.sql", PackageResources._014_summarize_by_size_sql),
        migration("0015_day_balances_by_summarizer.sql", PackageResources._015_day_balances_by_summarizer_sql),
        migration("0016_days_in_month_rows.sql", PackageResources._016_days_in_month_rows_sql),
    ]

    /// The migrations the baseline replaced, before the first release: a database built from them
    /// (a development database) is refused, and rebuilt instead.
    static let beforeTheBaseline: Set<String> = [
            "0001_chart_of_accounts.sql",
            "0002_journal.sql",
            "0003_audit_chain.sql",
            "0004_facilities.sql",
            "0005_events.sql",
            "0006_limits.sql",
            "0007_balance_day.sql",
            "0008_roles.sql",
            "0009_posting_path.sql",
            "0010_post_entries.sql",
            "0011_set_based_checks.sql",
            "0012_references_per_statement.sql",
            "0013_seals_per_statement.sql",
            "0014_one_entry_fast_path.sql",
            "0015_balances_folded_per_transaction.sql",
            "0016_cheaper_format_checks.sql",
            "0017_postings_checked_in_a_loop.sql",
            "0018_fold_in_memory.sql",
            "0019_batches_as_arrays.sql",
            "0020_month_balances_at_close.sql",
            "0021_one_entry_as_arrays.sql",
            "0022_event_month.sql",
            "0023_statements.sql",
            "0024_statement_movements.sql",
    ]

    public static func migrator() throws -> Migrator {
        try Migrator(
            all, retired: beforeTheBaseline,
            retiredAdvice: "the migrations before the first release were collapsed into a baseline (0001_schema_and_roles.sql …); "
                + "rebuild this development database: Scripts/db destroy, then Scripts/demo or dfc-ledger db migrate")
    }

    private static func migration(_ name: String, _ bytes: [UInt8]) -> Migration {
        do { return try Migration(name: name, sql: String(decoding: bytes, as: UTF8.self)) } catch {
            preconditionFailure("embedded migration \(name): \(error)")
        }
    }
}
