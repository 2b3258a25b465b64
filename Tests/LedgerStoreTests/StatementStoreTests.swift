// Proves the statements' storage: stored once, the same file again a no-op, another file claiming
// the same id refused; the ledger's movements on an account as one net amount per entry with the
// event's reference; matched entries left out afterwards, an entry matched once only; and the
// tables append-only.
import Dates
import Ledger
import LedgerStore
import Postgres
import Testing

@Suite struct StatementStoreTests {
    static func statement(id: String = "BANK-2026-10", sha: String = String(repeating: "a", count: 64)) -> BankStatement {
        BankStatement(
            id: id, format: .camt053, bankAccount: "4030-0001", currency: .usd, opening: 0, closing: 50_000_000 - 40_000,
            items: [
                .init(date: D("2026-10-01"), amount: 50_000_000, reference: "TAS 077-4030", description: "appropriation", location: "line 9"),
                .init(date: D("2026-10-06"), amount: -40_000, reference: "MS-1", description: "milestone \"1\", {paid}", location: "line 12"),
            ], sha256: sha)
    }

    @Test func aStatementIsStoredOnceAndMatchedEntriesAreLeftOut() throws {
        try withFundedLedger { store in
            try store.record([("", ev("o", "2026-10-02", "GRNT", .obligate, 100_000)), ("", ev("d1", "2026-10-05", "GRNT", .disburse, 40_000))], file: "t")
            var d2 = ev("d2", "2026-10-06", "GRNT", .disburse, 10_000)
            d2.reference = "MS-2"
            try store.record(d2)

            #expect(try store.storeStatement(Self.statement(), account: "101000", fund: "PRG", file: "oct.xml") == .stored)
            #expect(try store.storeStatement(Self.statement(), account: "101000", fund: "PRG", file: "oct.xml") == .alreadyStored)
            #expect(throws: InputError.self) {
                try store.storeStatement(Self.statement(sha: String(repeating: "b", count: 64)), account: "101000", fund: "PRG", file: "other.xml")
            }
            let items = try store.connection.query("SELECT description FROM ledger.bank_statement_item WHERE statement_id = 'BANK-2026-10' ORDER BY item_no")
            #expect(try items.map { try $0.decode(String.self, at: 0) } == ["appropriation", "milestone \"1\", {paid}"])

            // One net amount per entry on 101000 PRG USD, signed from the account's view.
            let moves = try store.ledgerMovements(account: "101000", fund: "PRG", currency: .usd, from: D("2026-10-01"), to: D("2026-10-31"))
            #expect(moves.map(\.amount) == [500_000_000, -40_000, -10_000], "the appropriation, two disbursements")
            #expect(moves.map(\.reference) == ["PRG-0", "d1", "MS-2"], "the event's reference, else its event id")
            try store.storeMatches(statementID: "BANK-2026-10", [(itemNo: 1, entryIDs: [moves[0].entryID], rule: "reference")])
            #expect(try store.ledgerMovements(account: "101000", fund: "PRG", currency: .usd, from: D("2026-10-01"), to: D("2026-10-31")).count == 2)
            let all = try store.ledgerMovements(account: "101000", fund: "PRG", currency: .usd, from: D("2026-10-01"), to: D("2026-10-31"), includingMatched: true)
            #expect(all.map(\.entryID) == moves.map(\.entryID) && all.map(\.matched) == [true, false, false], "all of them, the matched one marked")
            // An entry is matched to one item at most; a manual match needs a reason.
            #expect(throws: PostgresError.self) {
                try store.storeMatches(statementID: "BANK-2026-10", [(itemNo: 2, entryIDs: [moves[0].entryID], rule: "reference")])
            }
            #expect(throws: PostgresError.self) {
                try store.storeMatches(statementID: "BANK-2026-10", [(itemNo: 2, entryIDs: [moves[1].entryID], rule: "manual")], reason: " ")
            }
            // Append-only, for the owner too.
            for sql in [
                "UPDATE ledger.bank_statement SET closing_minor = 0", "DELETE FROM ledger.bank_statement_item",
                "UPDATE ledger.statement_match SET rule = 'manual', reason = 'x'",
            ] {
                #expect(throws: PostgresError.self) { try store.connection.execute(unsafeSQL: sql) }
            }
            // Items and matches name what is stored: checked once per statement, naming the row.
            for (sql, message) in [
                ("INSERT INTO ledger.bank_statement_item (statement_id, item_no, item_date, amount_minor, reference, description, bank_reference, location) "
                    + "VALUES ('BANK-2026-10', 3, '2026-10-07', 1, '', '', '', ''), ('NOPE', 1, '2026-10-07', 1, '', '', '', '')",
                 "item 1 names statement NOPE, which is not stored"),
                ("INSERT INTO ledger.statement_match (statement_id, item_no, entry_id, rule) VALUES ('BANK-2026-10', 2, \(moves[1].entryID), 'amount'), ('BANK-2026-10', 9, \(moves[2].entryID), 'amount')",
                 "a match names item 9 of statement BANK-2026-10, which is not stored"),
                ("INSERT INTO ledger.statement_match (statement_id, item_no, entry_id, rule) VALUES ('BANK-2026-10', 2, 99999, 'amount')",
                 "a match of item 2 of statement BANK-2026-10 names entry 99999, which does not exist"),
            ] {
                do {
                    try store.connection.execute(unsafeSQL: sql)
                    Issue.record("accepted: \(sql)")
                } catch let error as PostgresError {
                    #expect(error.code == .foreignKeyViolation && error.message == message, "\(error)")
                }
            }
            #expect(try store.statementMatches(statementID: "BANK-2026-10").map(\.item) == [1], "nothing of the refused statements stayed")
        }
    }

    @Test func anEntryAndItsReversalInsideThePeriodAreNoMovement() throws {
        try withFundedLedger { store in
            try store.record(ev("o", "2026-10-02", "GRNT", .obligate, 100_000))
            let before = try store.record(ev("d0", "2026-09-28", "GRNT", .disburse, 5_000))
            let wrong = try store.record(ev("d1", "2026-10-05", "GRNT", .disburse, 40_000))
            let late = try store.record(ev("d2", "2026-10-06", "GRNT", .disburse, 10_000))
            let reversal = try store.reverse(entryID: wrong.entryID, effectiveDate: D("2026-10-07"), reason: "keyed twice")
            let reversalOfBefore = try store.reverse(entryID: before.entryID, effectiveDate: D("2026-10-08"), reason: "wrong month")
            _ = try store.reverse(entryID: late.entryID, effectiveDate: D("2026-11-02"), reason: "returned by the bank")
            let moves = try store.ledgerMovements(account: "101000", fund: "PRG", currency: .usd, from: D("2026-10-03"), to: D("2026-10-31"))
            #expect(!moves.contains { $0.entryID == wrong.entryID || $0.entryID == reversal.entryID }, "d1 and its reversal net to nothing")
            #expect(moves.map(\.entryID) == [late.entryID, reversalOfBefore.entryID], "reversed after the period; reversing an entry before it")
            #expect(moves.map(\.amount) == [-10_000, 5_000])

            // A statement is matched over the period its file states, not only its items' dates.
            var stated = Self.statement(id: "BANK-2026-10-B")
            stated.items = [stated.items[1]]
            stated.statedPeriod = D("2026-10-03")...D("2026-10-31")
            var offered: [LedgerMovement] = []
            _ = try store.storeStatement(stated, account: "101000", fund: "PRG", file: "oct.xml") { open in
                offered = open
                return []
            }
            #expect(offered == moves)
            #expect(try store.statementPeriod(statementID: "BANK-2026-10-B") == D("2026-10-03")...D("2026-10-31"))
        }
    }
}
