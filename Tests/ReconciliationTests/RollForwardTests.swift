// Proves the statement roll-forward check: opening + Σ entries = closing exactly, the difference
// named when it does not hold, and overflow reported instead of wrapping.
import Reconciliation
import Testing

@Suite struct RollForwardTests {
    @Test func balancedStatementRollsForward() {
        #expect(RollForward.check(openingMinorUnits: 100_00, entriesMinorUnits: [25_00, -10_50], closingMinorUnits: 114_50) == .balanced)
        #expect(RollForward.check(openingMinorUnits: 0, entriesMinorUnits: [], closingMinorUnits: 0) == .balanced)
    }

    @Test func differenceIsNamed() {
        #expect(RollForward.check(openingMinorUnits: 100_00, entriesMinorUnits: [25_00], closingMinorUnits: 124_99) == .difference(1))
        #expect(RollForward.check(openingMinorUnits: 0, entriesMinorUnits: [-1], closingMinorUnits: 0) == .difference(-1))
    }

    @Test func overflowIsAnErrorNotAWrap() {
        #expect(RollForward.check(openingMinorUnits: .max, entriesMinorUnits: [1], closingMinorUnits: .min) == .overflow)
        #expect(RollForward.check(openingMinorUnits: .min, entriesMinorUnits: [], closingMinorUnits: 1) == .overflow)
    }
}
