// Proves calendar dates and instants: only real dates exist, day arithmetic round-trips, and
// RFC 3339 parses with offsets and prints in UTC, exactly to the microsecond.
import Dates
import Testing

@Suite struct DatesTests {
    @Test func datesAreRealCalendarDates() {
        #expect(CivilDate(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(CivilDate(iso: "2026-02-30") == nil)
        #expect(CivilDate(iso: "2023-02-29") == nil)
        #expect(CivilDate(iso: "2026-13-01") == nil)
        #expect(CivilDate(iso: "2026-1-01") == nil)
        #expect(CivilDate(iso: "0000-01-01") == nil)
        #expect(CivilDate(iso: "2026-01-01x") == nil)
        #expect(CivilDate(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(CivilDate(daysSinceEpoch: 20_786).description == "2026-11-29")
        for days in stride(from: -800_000, through: 2_900_000, by: 997) {
            #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
    }

    @Test func timestampsParseRFC3339AndPrintUTC() throws {
        let t = try #require(Instant(rfc3339: "2026-11-29T00:48:23Z"))
        #expect(t.description == "2026-11-29T00:48:23Z")
        #expect(Instant(rfc3339: "2026-11-29T01:48:23+01:00") == t)
        #expect(Instant(rfc3339: "2026-11-28 19:18:23-05:30") == t)
        #expect(Instant(rfc3339: "2026-11-29 00:48:23+00") == t)
        #expect(Instant(rfc3339: "2026-11-29T00:48:23.5Z")?.description == "2026-11-29T00:48:23.5Z")
        #expect(Instant(rfc3339: "2026-11-29T00:48:23.000001Z")?.microsecondsSinceEpoch == t.microsecondsSinceEpoch + 1)
        #expect(Instant(rfc3339: "1969-12-31T23:59:59.999999Z")?.description == "1969-12-31T23:59:59.999999Z")
        #expect(Instant(rfc3339: "2026-11-29T00:48:23.1234567Z") == nil, "more than microseconds")
        #expect(Instant(rfc3339: "2026-11-29T00:48:23") == nil, "no zone")
        #expect(Instant(rfc3339: "2026-11-29T24:00:00Z") == nil)
        #expect(Instant(rfc3339: "2026-02-30T00:00:00Z") == nil)
    }

}
