/// The first check on every statement (DOMAIN.md §7): opening + Σ entries = closing, in minor
/// units, with overflow treated as an error rather than wrapping.
public enum RollForward {
    public enum Outcome: Sendable, Equatable {
        /// The statement rolls forward.
        case balanced
        /// opening + Σ entries − closing, which must be zero.
        case difference(Int64)
        /// The sum does not fit in 64 bits: no real statement does that.
        case overflow
    }

    public static func check(openingMinorUnits: Int64, entriesMinorUnits: some Sequence<Int64>, closingMinorUnits: Int64) -> Outcome {
        var total = openingMinorUnits
        for amount in entriesMinorUnits {
            let (sum, overflow) = total.addingReportingOverflow(amount)
            if overflow { return .overflow }
            total = sum
        }
        let (difference, overflow) = total.subtractingReportingOverflow(closingMinorUnits)
        if overflow { return .overflow }
        return difference == 0 ? .balanced : .difference(difference)
    }
}
