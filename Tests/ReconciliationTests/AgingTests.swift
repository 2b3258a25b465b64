// Proves the aging buckets at their edges and the two-month flag.
import Dates
import Reconciliation
import Testing

@Suite struct AgingTests {
    @Test func bucketsAndTheTwoMonthFlag() {
        #expect([0, 30, 31, 60, 61, 90, 91, 400].map { Aging.bucket(days: $0) } == ["0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "over 90", "over 90"])
        let asOf = CivilDate(iso: "2026-12-04")!
        #expect(!Aging.isOverdue(CivilDate(iso: "2026-10-04")!, asOf: asOf) && Aging.isOverdue(CivilDate(iso: "2026-10-03")!, asOf: asOf))
        #expect(Aging.days(CivilDate(iso: "2026-10-28")!, asOf: asOf) == 37)
    }
}
