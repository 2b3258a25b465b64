import BigInt

import Dates

/// Day-count conventions (ISDA 2006 §4.16): how a span of days becomes a fraction of a year.
public enum DayCount: String, Sendable, CaseIterable, Codable {
    case act360 = "act-360"
    case act365f = "act-365f"
    /// 30/360 bond basis, ISDA 4.16(f), without an end-of-February rule.
    case thirty360 = "30-360"
    /// 30E/360 (Eurobond basis), ISDA 4.16(g).
    case thirtyE360 = "30e-360"
    case actActISDA = "act-act-isda"

    /// Why `text` is not a day count, or nil if it is one. "act-365" alone is refused because it
    /// is ambiguous.
    public static func refusal(_ text: String) -> String? {
        if DayCount(rawValue: text) != nil { return nil }
        if text == "act-365" { return "\"act-365\" is ambiguous: use act-365f or act-act-isda" }
        return "not a day count (\(DayCount.allCases.map(\.rawValue).joined(separator: ", ")))"
    }

    /// The fraction of a year from `start` to `end` (end not included).
    public func yearFraction(from start: CivilDate, to end: CivilDate) -> Rational {
        switch self {
        case .act360: return Rational(BigInt(end.daysSinceEpoch - start.daysSinceEpoch), 360)
        case .act365f: return Rational(BigInt(end.daysSinceEpoch - start.daysSinceEpoch), 365)
        case .thirty360:
            let d1 = start.day == 31 ? 30 : start.day
            let d2 = end.day == 31 && d1 >= 30 ? 30 : end.day
            return thirty(start, end, d1, d2)
        case .thirtyE360:
            return thirty(start, end, min(start.day, 30), min(end.day, 30))
        case .actActISDA:
            guard start < end else { return Rational(BigInt(end.daysSinceEpoch - start.daysSinceEpoch), 365) }
            var total = Rational.zero
            var from = start
            while from < end {
                let nextYear = CivilDate(year: from.year + 1, month: 1, day: 1)!
                let until = min(nextYear, end)
                let basis = CivilDate.isLeapYear(from.year) ? 366 : 365
                total += Rational(BigInt(until.daysSinceEpoch - from.daysSinceEpoch), BigInt(basis))
                from = until
            }
            return total
        }
    }

    private func thirty(_ start: CivilDate, _ end: CivilDate, _ d1: Int, _ d2: Int) -> Rational {
        let days = 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
        return Rational(BigInt(days), 360)
    }
}
