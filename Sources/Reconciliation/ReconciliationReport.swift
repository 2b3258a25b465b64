import Dates
import Ledger

/// A statement reconciled to the ledger (DESIGN.md §5's shape): what matched, what is left on
/// each side, the differences (same reference, another amount), both roll-forwards, and the
/// status. Pure: built from the statement, the matches stored, and the ledger's movements.
public struct ReconciliationReport: Encodable, Sendable, Equatable {
    public struct StatementSummary: Encodable, Sendable, Equatable {
        public var id: String
        public var opening: String
        public var closing: String
        public var entries: Int
    }
    public struct Matched: Encodable, Sendable, Equatable {
        public var date: String
        public var amount: String
        public var reference: String
        public var entryIds: [Int64]
        public var rule: String
    }
    public struct StatementItem: Encodable, Sendable, Equatable {
        public var date: String
        public var amount: String
        public var reference: String
    }
    public struct LedgerItem: Encodable, Sendable, Equatable {
        public var entryId: Int64
        public var date: String
        public var amount: String
        public var reference: String
    }
    public struct Difference: Encodable, Sendable, Equatable {
        public var reference: String
        public var statement: [String]
        public var ledger: [String]
    }
    /// opening + receipts + disbursements (negative) = closing, on each side.
    public struct RollForwardLine: Encodable, Sendable, Equatable {
        public var opening: String
        public var receipts: String
        public var disbursements: String
        public var closing: String
    }
    public struct RollForwards: Encodable, Sendable, Equatable {
        public var statement: RollForwardLine
        public var ledger: RollForwardLine
    }

    public var account: String
    public var fund: String
    public var currency: String
    public var statement: StatementSummary
    public var matched: [Matched]
    public var unmatchedStatement: [StatementItem]
    public var unmatchedLedger: [LedgerItem]
    public var differences: [Difference]
    public var rollForward: RollForwards
    /// "reconciled" or "breaks".
    public var status: String

    /// The report from the statement, its matches (`item` numbered from 1, the entries and rule),
    /// the movements still open in its period, and the ledger's opening balance and every movement
    /// of the period (matched or not) for the ledger's roll-forward.
    public static func build(
        _ s: BankStatement, account: String, fund: String, matches: [(item: Int, entryIDs: [Int64], rule: String)], open: [LedgerMovement],
        ledgerOpening: Int64, periodMovements: [LedgerMovement]
    ) -> ReconciliationReport {
        func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: s.currency).formatted }
        let matchedItems = Set(matches.map(\.item))
        let matched = matches.sorted { $0.item < $1.item }.map { m in
            let item = s.items[m.item - 1]
            return Matched(date: item.date.description, amount: money(item.amount), reference: item.reference, entryIds: m.entryIDs, rule: m.rule)
        }
        let openItems = s.items.indices.filter { !matchedItems.contains($0 + 1) }
        var differences: [Difference] = []
        let openByReference = Dictionary(grouping: open.filter { !$0.reference.isEmpty }, by: \.reference)
        for reference in Set(openItems.map { s.items[$0].reference }).sorted() where !reference.isEmpty {
            guard let movements = openByReference[reference] else { continue }
            differences.append(
                Difference(
                    reference: reference, statement: openItems.filter { s.items[$0].reference == reference }.map { money(s.items[$0].amount) },
                    ledger: movements.map { money($0.amount) }))
        }
        func line(_ opening: Int64, _ amounts: [Int64]) -> RollForwardLine {
            let receipts = amounts.filter { $0 > 0 }.reduce(0, +)
            let disbursements = amounts.filter { $0 < 0 }.reduce(0, +)
            return RollForwardLine(opening: money(opening), receipts: money(receipts), disbursements: money(disbursements), closing: money(opening + receipts + disbursements))
        }
        let breaks = !openItems.isEmpty || !open.isEmpty
        return ReconciliationReport(
            account: account, fund: fund, currency: s.currency.code,
            statement: StatementSummary(id: s.id, opening: money(s.opening), closing: money(s.closing), entries: s.items.count), matched: matched,
            unmatchedStatement: openItems.map { StatementItem(date: s.items[$0].date.description, amount: money(s.items[$0].amount), reference: s.items[$0].reference) },
            unmatchedLedger: open.map { LedgerItem(entryId: $0.entryID, date: $0.date.description, amount: money($0.amount), reference: $0.reference) },
            differences: differences,
            rollForward: RollForwards(statement: line(s.opening, s.items.map(\.amount)), ledger: line(ledgerOpening, periodMovements.map(\.amount))),
            status: breaks ? "breaks" : "reconciled")
    }
}
