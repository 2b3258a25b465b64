import Dates

/// How old a break is (DOMAIN.md §7: differences are aged and must be cleared within two months).
public enum Aging {
    /// Days from `date` to `asOf`.
    public static func days(_ date: CivilDate, asOf: CivilDate) -> Int { asOf.daysSinceEpoch - date.daysSinceEpoch }

    /// "0–30", "31–60", "61–90" or "over 90" days.
    public static func bucket(days: Int) -> String {
        switch days {
        case ...30: "0-30"
        case 31...60: "31-60"
        case 61...90: "61-90"
        default: "over 90"
        }
    }

    /// Older than two months: dated before the same day two months back.
    public static func isOverdue(_ date: CivilDate, asOf: CivilDate) -> Bool { date < asOf.adding(months: -2) }
}
