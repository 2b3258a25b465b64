#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A calendar date (proleptic Gregorian) without time zone: an effective date, a payment date.
///
/// Text form is ISO 8601, `2026-11-29`. Only years 1…9999 are accepted: BC dates and `infinity` are
/// not dates any ledger means.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Returns nil when the triple is not a real date (2026-02-30, month 13, year 0).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= CivilDate.daysInMonth(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(iso text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let y = parseDigits(bytes[0..<4]), let m = parseDigits(bytes[5..<7]), let d = parseDigits(bytes[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before it).
    public var daysSinceEpoch: Int { daysFromCivil(year: year, month: month, day: day) }

    /// The date `days` days after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        let (y, m, d) = civilFromDays(days)
        self.year = y
        self.month = m
        self.day = d
    }

    /// Today's date in UTC, from the system clock.
    public static func todayUTC() -> CivilDate {
        CivilDate(daysSinceEpoch: Int(time(nil)) / 86_400)
    }

    public static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// An instant: whole microseconds since 1970-01-01 UTC, as PostgreSQL's `timestamptz` holds it.
///
/// Exact by construction (an integer), so that a `--known-at` taken from one report reproduces
/// it to the microsecond. Formats as RFC 3339 in UTC.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) { self.microsecondsSinceEpoch = microsecondsSinceEpoch }

    /// Parses RFC 3339 (`2026-11-29T00:48:23Z`, `2026-11-29T00:48:23.5+01:00`) and PostgreSQL's
    /// ISO output (`2026-11-29 00:48:23.123456+00`). A zone is required; more than six fraction
    /// digits are refused rather than rounded.
    public init?(rfc3339 text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count >= 20, let date = CivilDate(iso: String(decoding: b[0..<10], as: UTF8.self)),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let hh = parseDigits(b[11..<13]), let mm = parseDigits(b[14..<16]), let ss = parseDigits(b[17..<19]),
            hh < 24, mm < 60, ss < 60
        else { return nil }
        var i = 19
        var micros = 0
        if b[i] == UInt8(ascii: ".") {
            let start = i + 1
            i = start
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
            let digits = i - start
            guard digits >= 1, digits <= 6, let f = parseDigits(b[start..<i]) else { return nil }
            micros = f * [1, 100_000, 10_000, 1_000, 100, 10, 1][digits]
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            let rest = b[(i + 1)...]
            let oh: Int, om: Int
            if rest.count == 2, let h = parseDigits(rest) {
                (oh, om) = (h, 0)
            } else if rest.count == 5, rest[rest.startIndex + 2] == UInt8(ascii: ":"),
                let h = parseDigits(rest.prefix(2)), let m = parseDigits(rest.suffix(2))
            {
                (oh, om) = (h, m)
            } else {
                return nil
            }
            guard oh < 24, om < 60 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        let seconds = date.daysSinceEpoch * 86_400 + hh * 3600 + mm * 60 + ss - offsetSeconds
        self.microsecondsSinceEpoch = Int64(seconds) * 1_000_000 + Int64(micros)
    }

    /// RFC 3339 in UTC with the fraction only when there is one: `2026-11-29T00:48:23.123456Z`.
    public var description: String {
        let (secs, micros) = microsecondsSinceEpoch.quotientAndFloorRemainder(1_000_000)
        let (days, secOfDay) = secs.quotientAndFloorRemainder(86_400)
        let date = CivilDate(daysSinceEpoch: Int(days))
        let s = Int(secOfDay)
        var out = "\(date)T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))"
        if micros != 0 {
            var fraction = pad(Int(micros), 6)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            out += "." + fraction
        }
        return out + "Z"
    }

    public static func < (a: Instant, b: Instant) -> Bool {
        a.microsecondsSinceEpoch < b.microsecondsSinceEpoch
    }
}

// MARK: - Calendar arithmetic (Howard Hinnant's days_from_civil / civil_from_days)

func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}

func parseDigits<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
    guard !bytes.isEmpty else { return nil }
    var v = 0
    for c in bytes {
        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
        v = v * 10 + Int(c - UInt8(ascii: "0"))
    }
    return v
}

func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

extension Int64 {
    func quotientAndFloorRemainder(_ divisor: Int64) -> (Int64, Int64) {
        var (q, r) = quotientAndRemainder(dividingBy: divisor)
        if r < 0 {
            q -= 1
            r += divisor
        }
        return (q, r)
    }
}

/// A calendar month, `2026-11`: the unit of periods and month-end.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses exactly `YYYY-MM`.
    public init?(_ text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 7, b[4] == UInt8(ascii: "-"), let y = parseDigits(b[0..<4]), let m = parseDigits(b[5..<7]) else { return nil }
        self.init(year: y, month: m)
    }

    /// The month a date falls in.
    public init(_ date: CivilDate) {
        year = date.year
        month = date.month
    }

    public var firstDay: CivilDate { CivilDate(year: year, month: month, day: 1)! }
    public var lastDay: CivilDate { CivilDate(year: year, month: month, day: CivilDate.daysInMonth(year: year, month: month))! }

    public var description: String { pad(year, 4) + "-" + pad(month, 2) }

    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    /// `months` later (or earlier, when negative). Traps beyond year 9999, like any date overflow.
    public func adding(months: Int) -> YearMonth {
        let index = year * 12 + (month - 1) + months
        return YearMonth(year: index / 12, month: index % 12 + 1)!
    }

    public var next: YearMonth { adding(months: 1) }
    public var previous: YearMonth { adding(months: -1) }
}

extension CivilDate {
    /// Whether this is the last day of its month.
    public var isLastDayOfMonth: Bool { day == CivilDate.daysInMonth(year: year, month: month) }

    /// `months` later, the day clipped to the month's end (Jan 31 + 1 month = Feb 28 or 29); with
    /// `keepingMonthEnd`, a month-end date stays on month ends (Feb 28 + 1 month = Mar 31).
    public func adding(months: Int, keepingMonthEnd: Bool = false) -> CivilDate {
        let target = YearMonth(self).adding(months: months)
        let last = CivilDate.daysInMonth(year: target.year, month: target.month)
        let day = keepingMonthEnd && isLastDayOfMonth ? last : min(self.day, last)
        return CivilDate(year: target.year, month: target.month, day: day)!
    }

    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }
}
