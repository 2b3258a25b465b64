// Proves the account register's arithmetic: running balances per fund and currency from the
// opening balances, exact to the minor unit, and overflow refused rather than wrapped.
import Dates
import Ledger
import Reports
import Testing

@Suite struct RegisterReportTests {
    func line(_ id: Int64, _ fund: String, _ side: Side, _ minor: Int64, _ code: String = "USD") -> RegisterLine {
        RegisterLine(
            entryID: id, eventKey: "e\(id)", effectiveDate: CivilDate(iso: "2026-11-0\(id)")!, recordedAt: Instant(microsecondsSinceEpoch: 0),
            description: "line \(id)",
            line: JournalLine(account: "101000", fund: fund, side: side, amount: Money(minorUnits: minor, currency: Currency(code: code)!)))
    }

    @Test func runningBalancePerFundAndCurrency() throws {
        var builder = try RegisterBuilder(opening: [
            AccountBalance(account: "101000", fund: "PRG", currency: "USD", balanceMinorUnits: 10_000),
            AccountBalance(account: "101000", fund: "FIN-DL", currency: "USD", balanceMinorUnits: -5),
        ])
        #expect(builder.opening.map(\.balance) == ["-0.05", "100.00"], "sorted by fund: FIN-DL, PRG")
        let rows = try [
            line(1, "PRG", .credit, 2_550), line(2, "FIN-DL", .debit, 105), line(3, "PRG", .debit, 50), line(4, "PRG", .debit, 7, "JPY"),
        ].map { try builder.row($0) }
        #expect(rows.map(\.balance) == ["74.50", "1.00", "75.00", "7"])
        #expect(rows.map(\.debit) == ["0.00", "1.05", "0.50", "7"])
        #expect(rows[0].credit == "25.50" && rows[0].facility == nil)
        #expect(try builder.closing.map { "\($0.fund) \($0.currency) \($0.balance)" } == ["FIN-DL USD 1.00", "PRG JPY 7", "PRG USD 75.00"])
    }

    @Test func overflowIsAnError() throws {
        var builder = try RegisterBuilder(opening: [AccountBalance(account: "101000", fund: "PRG", currency: "USD", balanceMinorUnits: .max)])
        #expect(throws: MoneyError.self) { try builder.row(line(1, "PRG", .debit, 1)) }
    }
}
