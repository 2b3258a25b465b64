import Dates
import Ledger

/// BankStatement items matched to ledger movements (issue 18), deterministically, in three passes:
///
/// 1. `reference`: the same reference and the exact amount.
/// 2. `amount`: the exact amount and the only candidate within `windowDays` of the item's date,
///    both ways (the movement has no other unmatched item in its window either). Items and
///    movements whose reference is still open on the other side are left to the next passes.
/// 3. `batch`: one item against several movements of its reference whose amounts add up to it.
///
/// What is left with a reference found on the other side (same reference, other amount) stays
/// unmatched on both sides and is listed in `differences`. Cost: n log n (sorting and dictionary
/// lookups, a binary search per window), never n × m.
public struct Matching: Sendable, Equatable {
    public enum Rule: String, Sendable { case reference, amount, batch }

    public struct Match: Sendable, Equatable {
        /// Indexes into the statement's items and the movements given.
        public var item: Int
        public var movements: [Int]
        public var rule: Rule

        public init(item: Int, movements: [Int], rule: Rule) {
            self.item = item
            self.movements = movements
            self.rule = rule
        }
    }

    public struct Difference: Sendable, Equatable {
        public var reference: String
        public var items: [Int]
        public var movements: [Int]

        public init(reference: String, items: [Int], movements: [Int]) {
            self.reference = reference
            self.items = items
            self.movements = movements
        }
    }

    public var matched: [Match]
    public var unmatchedItems: [Int]
    public var unmatchedMovements: [Int]
    public var differences: [Difference]

    public var reconciled: Bool { unmatchedItems.isEmpty && unmatchedMovements.isEmpty }

    public static func match(_ items: [BankStatement.Item], _ movements: [LedgerMovement], windowDays: Int = 3) -> Matching {
        var itemOpen = [Bool](repeating: true, count: items.count)
        var movementOpen = [Bool](repeating: true, count: movements.count)
        var matched: [Match] = []
        // Items in date and file order, movements in date and entry order: ties go to the earliest.
        let itemOrder = items.indices.sorted { (items[$0].date, $0) < (items[$1].date, $1) }
        let movementOrder = movements.indices.sorted { (movements[$0].date, movements[$0].entryID) < (movements[$1].date, movements[$1].entryID) }

        // 1. Reference and amount.
        struct Key: Hashable { var reference: String; var amount: Int64 }
        var byKey: [Key: [Int]] = [:]
        for m in movementOrder where !movements[m].reference.isEmpty {
            byKey[Key(reference: movements[m].reference, amount: movements[m].amount), default: []].append(m)
        }
        var taken: [Key: Int] = [:]
        for i in itemOrder where !items[i].reference.isEmpty {
            let key = Key(reference: items[i].reference, amount: items[i].amount)
            guard let list = byKey[key], taken[key, default: 0] < list.count else { continue }
            let m = list[taken[key, default: 0]]
            taken[key, default: 0] += 1
            itemOpen[i] = false
            movementOpen[m] = false
            matched.append(Match(item: i, movements: [m], rule: .reference))
        }

        // References still open on each side: their items and movements wait for passes 3 and the
        // differences, whatever their amounts.
        var openMovementsByReference: [String: [Int]] = [:]
        for m in movementOrder where movementOpen[m] && !movements[m].reference.isEmpty {
            openMovementsByReference[movements[m].reference, default: []].append(m)
        }
        var openItemsByReference: [String: [Int]] = [:]
        for i in itemOrder where itemOpen[i] && !items[i].reference.isEmpty {
            openItemsByReference[items[i].reference, default: []].append(i)
        }

        // 2. Amount within the window, unique both ways.
        var byAmount: [Int64: [(day: Int, index: Int)]] = [:]
        for m in movementOrder where movementOpen[m] && openItemsByReference[movements[m].reference] == nil {
            byAmount[movements[m].amount, default: []].append((movements[m].date.daysSinceEpoch, m))
        }
        var itemsByAmount: [Int64: [(day: Int, index: Int)]] = [:]
        let candidates = itemOrder.filter { itemOpen[$0] && openMovementsByReference[items[$0].reference] == nil }
        for i in candidates { itemsByAmount[items[i].amount, default: []].append((items[i].date.daysSinceEpoch, i)) }
        /// The entries of `list` (sorted by day) within the window around `day`.
        func within(_ list: [(day: Int, index: Int)], _ day: Int) -> ArraySlice<(day: Int, index: Int)> {
            var low = 0, high = list.count
            while low < high {
                let mid = (low + high) / 2
                if list[mid].day < day - windowDays { low = mid + 1 } else { high = mid }
            }
            var end = low
            while end < list.count, list[end].day <= day + windowDays { end += 1 }
            return list[low..<end]
        }
        for i in candidates {
            let day = items[i].date.daysSinceEpoch
            let near = within(byAmount[items[i].amount] ?? [], day).filter { movementOpen[$0.index] }
            guard near.count == 1, let m = near.first?.index else { continue }
            let rivals = within(itemsByAmount[items[i].amount] ?? [], movements[m].date.daysSinceEpoch).filter { itemOpen[$0.index] }
            guard rivals.count == 1 else { continue }
            itemOpen[i] = false
            movementOpen[m] = false
            matched.append(Match(item: i, movements: [m], rule: .amount))
        }

        // 3. Batches: an item against all the open movements of its reference, when they add up.
        for (reference, list) in openItemsByReference {
            let open = list.filter { itemOpen[$0] }
            let group = (openMovementsByReference[reference] ?? []).filter { movementOpen[$0] }
            guard open.count == 1, group.count >= 2, let i = open.first else { continue }
            var sum: Int64 = 0
            var overflow = false
            for m in group {
                let (s, o) = sum.addingReportingOverflow(movements[m].amount)
                sum = s
                overflow = overflow || o
            }
            guard !overflow, sum == items[i].amount else { continue }
            itemOpen[i] = false
            for m in group { movementOpen[m] = false }
            matched.append(Match(item: i, movements: group, rule: .batch))
        }

        var differences: [Difference] = []
        for reference in openItemsByReference.keys.sorted() {
            let open = openItemsByReference[reference]!.filter { itemOpen[$0] }
            let other = (openMovementsByReference[reference] ?? []).filter { movementOpen[$0] }
            if !open.isEmpty && !other.isEmpty { differences.append(Difference(reference: reference, items: open, movements: other)) }
        }
        matched.sort { $0.item < $1.item }
        return Matching(
            matched: matched, unmatchedItems: itemOrder.filter { itemOpen[$0] }, unmatchedMovements: movementOrder.filter { movementOpen[$0] },
            differences: differences)
    }
}
