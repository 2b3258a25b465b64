import Dates
import Ledger
import LedgerStore
import Postgres
import TestSupport
import Testing

/// `L("101000 FIN-DL debit 500.00 USD")`, optionally with a facility after the currency.
func L(_ spec: String) -> JournalLine {
    let p = spec.split(separator: " ").map(String.init)
    let currency = Currency(code: p[4])!
    return JournalLine(
        account: p[0], fund: p[1], facility: p.count > 5 ? p[5] : nil, side: Side(rawValue: p[2])!,
        amount: try! Money(parsing: p[3], currency: currency))
}

func D(_ iso: String) -> CivilDate { CivilDate(iso: iso)! }

func entry(_ key: String, _ date: String, _ lines: String..., description: String = "test") -> NewEntry {
    NewEntry(eventKey: key, effectiveDate: D(date), description: description, lines: lines.map(L))
}

/// A migrated ledger in a fresh database of its own.
func withLedger<T>(_ body: (LedgerStore, String) throws -> T) throws -> T {
    try TestDatabase.withFreshDatabase { conninfo in
        let store = try LedgerStore(conninfo: conninfo)
        try LedgerMigrations.migrator().migrate(store.connection)
        return try body(store, conninfo)
    }
}

/// Balances as "account fund currency amount" strings, for compact comparisons.
func balanceLines(_ store: LedgerStore, asOf: String, knownAt: Instant? = nil) throws -> [String] {
    try store.balances(asOf: D(asOf), knownAt: knownAt).map { "\($0.account) \($0.fund) \($0.currency) \($0.balanceMinorUnits)" }
}

/// Expects `statements`, run in one transaction, to be refused by the database with SQLSTATE
/// `code` and a message that contains `message`.
func expectRefused(
    _ db: Connection, _ code: String, _ message: String, _ statements: [SQL], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(sourceLocation: sourceLocation) {
        try db.transaction { tx in for s in statements { try tx.execute(s) } }
    } throws: { error in
        let e = error as? PostgresError
        return e?.code?.rawValue == code && e?.message.contains(message) == true
    }
}
