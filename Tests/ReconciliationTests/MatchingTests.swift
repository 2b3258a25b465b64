// Proves the matching rules on statements with injected breaks: each break found exactly and
// nothing else; a clean statement reconciled; the passes' order and uniqueness; batches; and a
// 100,000-item statement matched in n log n (it would not finish in n²).
import Dates
import Ledger
import Reconciliation
import Testing

@Suite struct MatchingTests {
    static func day(_ d: Int) -> CivilDate { CivilDate(year: 2026, month: 11, day: d)! }
    static func item(_ d: Int, _ amount: Int64, _ reference: String) -> BankStatement.Item {
        BankStatement.Item(date: day(d), amount: amount, reference: reference, description: "", location: "row \(d)")
    }
    static func move(_ id: Int64, _ d: Int, _ amount: Int64, _ reference: String) -> LedgerMovement {
        LedgerMovement(entryID: id, date: day(d), amount: amount, reference: reference)
    }

    /// The ledger's November on one fund's cash, and the statement the bank sent for it.
    static let ledger = [
        move(1, 2, 25_000_000, "BORROW-USD-01"), move(2, 10, -1_000_000, "TRS-0007-2"), move(3, 28, 470_481_611, "LBX-2025-0003-03"),
        move(4, 28, 254_266_981, "LBX-2025-0004-09"), move(5, 15, -300_000, "TRS-G-01"),
    ]
    static let clean = [
        item(2, 25_000_000, "BORROW-USD-01"), item(10, -1_000_000, "TRS-0007-2"), item(28, 470_481_611, "LBX-2025-0003-03"),
        item(28, 254_266_981, "LBX-2025-0004-09"), item(16, -300_000, "TRS-G-01"),
    ]

    @Test func aCleanStatementReconciles() {
        let m = Matching.match(Self.clean, Self.ledger)
        #expect(m.reconciled && m.differences.isEmpty && m.matched.count == 5)
        #expect(m.matched.allSatisfy { $0.rule == .reference && $0.movements == [$0.item] })
        #expect(Matching.match(Self.clean, Self.ledger) == m, "the same run twice gives the same result")
    }

    @Test func injectedBreaksAreFoundExactlyAndNothingElse() {
        var statement = Self.clean
        statement.remove(at: 4)  // the bank has not paid the grant yet: a ledger item missing on the statement
        statement.append(Self.item(30, -2_500, "FEE-77"))  // a bank fee with only the bank's reference
        statement[2].amount += 1  // one cent off under a matching reference
        let m = Matching.match(statement, Self.ledger)
        #expect(m.matched.map(\.item).sorted() == [0, 1, 3])
        #expect(m.unmatchedItems.sorted() == [2, 4], "the cent-off receipt and the fee")
        #expect(m.unmatchedMovements.sorted() == [2, 4], "the cent-off receipt and the unpaid grant")
        #expect(m.differences == [Matching.Difference(reference: "LBX-2025-0003-03", items: [2], movements: [2])])
        #expect(!m.reconciled)
    }

    @Test func theAmountPassNeedsOneCandidateBothWaysWithinTheWindow() {
        // The bank's own reference on a disbursement: matched by amount two days apart.
        let one = Matching.match([Self.item(12, -1_000_000, "BANK-123")], [Self.move(9, 10, -1_000_000, "TRS-0007-2")])
        #expect(one.matched == [Matching.Match(item: 0, movements: [0], rule: .amount)])
        // Four days apart: outside the default window, inside a wider one.
        #expect(Matching.match([Self.item(14, -1_000_000, "BANK-123")], [Self.move(9, 10, -1_000_000, "X")]).matched.isEmpty)
        #expect(Matching.match([Self.item(14, -1_000_000, "BANK-123")], [Self.move(9, 10, -1_000_000, "X")], windowDays: 5).matched.count == 1)
        // Two movements of that amount in the window: no guess.
        let two = Matching.match([Self.item(12, -1_000_000, "BANK-123")], [Self.move(9, 10, -1_000_000, "A"), Self.move(10, 13, -1_000_000, "B")])
        #expect(two.matched.isEmpty && two.unmatchedItems == [0] && two.unmatchedMovements == [0, 1])
        // Two items for one movement: no guess either.
        let rivals = Matching.match([Self.item(11, -1_000_000, "P"), Self.item(12, -1_000_000, "Q")], [Self.move(9, 10, -1_000_000, "A")])
        #expect(rivals.matched.isEmpty)
        // A reference still open on the other side is not matched by amount to something else.
        let held = Matching.match([Self.item(12, 101, "R")], [Self.move(1, 12, 100, "R"), Self.move(2, 12, 101, "S")])
        #expect(held.matched.isEmpty && held.differences == [Matching.Difference(reference: "R", items: [0], movements: [0])])
        #expect(held.unmatchedMovements == [0, 1])
    }

    @Test func oneBankItemAgainstABatchOfMovements() {
        let batch = Matching.match([Self.item(20, 25_000, "BATCH-9")], [Self.move(1, 19, 10_000, "BATCH-9"), Self.move(2, 20, 15_000, "BATCH-9")])
        #expect(batch.matched == [Matching.Match(item: 0, movements: [0, 1], rule: .batch)] && batch.reconciled)
        // Not adding up: a difference, both sides open.
        let short = Matching.match([Self.item(20, 25_001, "BATCH-9")], [Self.move(1, 19, 10_000, "BATCH-9"), Self.move(2, 20, 15_000, "BATCH-9")])
        #expect(short.matched.isEmpty && short.differences.count == 1 && short.differences[0].movements == [0, 1])
    }

    @Test func aHundredThousandItemsMatchInNLogN() {
        let n = 100_000
        var items: [BankStatement.Item] = []
        var movements: [LedgerMovement] = []
        for k in 0..<n {
            let d = 1 + k % 28
            // Half by reference; half with the bank's own references and amounts unique within the window.
            movements.append(Self.move(Int64(k), d, Int64(100 + k), "E-\(k)"))
            items.append(Self.item(d, Int64(100 + k), k % 2 == 0 ? "E-\(k)" : "BANK-\(k)"))
        }
        let m = Matching.match(items.reversed(), movements)
        #expect(m.reconciled && m.matched.count == n)
        #expect(m.matched.filter { $0.rule == .amount }.count == n / 2)
    }
}
