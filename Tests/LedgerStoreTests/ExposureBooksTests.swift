// Proves the figures the reports read (event sums from the summaries kept up to the watermark plus
// the events past it, minus what was recorded later) equal sums straight from the events, at many dates
// and known-at times, with months closed, reopened, posted into and closed again and events
// reversed; that a reversed disbursement can be disbursed again; and that `verify` names a stored
// event sum that was altered.
import Dates
import Ledger
import LedgerStore
import Postgres
import Testing

@Suite struct ExposureBooksTests {
    /// "FACILITY obligated/deobligated/disbursed/repaid" straight from the events and their lines:
    /// each event counts from its date, and counts no more from the date of the entry reversing it.
    static func fromTheEvents(_ db: Connection, asOf: CivilDate, knownAt: Instant?) throws -> [String] {
        try db.query(
            """
            WITH counted AS (
                SELECT ev.facility_id, ev.event_type, ev.entry_id, 1 AS sign
                  FROM ledger.event ev JOIN ledger.journal_entry e ON e.entry_id = ev.entry_id
                 WHERE e.effective_date <= \(asOf) AND (\(knownAt)::timestamptz IS NULL OR e.recorded_at <= \(knownAt)::timestamptz)
                UNION ALL
                SELECT ev.facility_id, ev.event_type, ev.entry_id, -1
                  FROM ledger.journal_entry r JOIN ledger.event ev ON ev.entry_id = r.reverses
                 WHERE r.effective_date <= \(asOf) AND (\(knownAt)::timestamptz IS NULL OR r.recorded_at <= \(knownAt)::timestamptz)
            ), amounts AS (
                SELECT c.facility_id, c.event_type, c.sign * ev.amount_minor AS amount,
                       c.sign * (SELECT coalesce(sum(l.amount_minor), 0) FROM ledger.journal_line l
                                  WHERE l.entry_id = c.entry_id AND l.account = '135000' AND l.side = 'credit') AS credit
                  FROM counted c JOIN ledger.event ev ON ev.entry_id = c.entry_id
                 WHERE c.facility_id IS NOT NULL
            )
            SELECT facility_id,
                   coalesce(sum(amount) FILTER (WHERE event_type = 'obligate'), 0)::bigint,
                   coalesce(sum(amount) FILTER (WHERE event_type = 'deobligate'), 0)::bigint,
                   coalesce(sum(amount) FILTER (WHERE event_type IN ('disburse', 'equity-call', 'purchase')), 0)::bigint,
                   coalesce(sum(credit) FILTER (WHERE event_type IN ('repay', 'repay-principal')), 0)::bigint
              FROM amounts
             GROUP BY 1 ORDER BY 1
            """
        ).map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int64.self, at: 1))/\(try $0.decode(Int64.self, at: 2))/\(try $0.decode(Int64.self, at: 3))/\(try $0.decode(Int64.self, at: 4))" }
    }

    static func fromTheBooks(_ books: ExposureBooks, _ date: CivilDate) -> [String] {
        (books.figures[date] ?? [:]).sorted { $0.key < $1.key }.compactMap { id, f in
            let p = f.position
            let text = "\(id) \(p.obligated)/\(p.deobligated)/\(p.disbursed)/\(f.principalRepaid)"
            return text.hasSuffix(" 0/0/0/0") ? nil : text
        }
    }

    static func now(_ db: Connection) throws -> Instant {
        defer { _ = try? db.execute("SELECT pg_sleep(0.002)") }
        // Apart by a few milliseconds from the writes before and after it.
        return try #require(try db.scalar(Instant.self, "SELECT clock_timestamp() FROM pg_sleep(0.002)"))
    }

    @Test func aReversedDisbursementIsUndisbursedAgain() throws {
        try withFundedLedger { store in
            try store.record([("", ev("o", "2026-10-02", "GRNT", .obligate, 100_000)), ("", ev("d", "2026-10-03", "GRNT", .disburse, 100_000))], file: "t")
            #expect(throws: LedgerError.self) { try store.record(ev("d-again", "2026-10-05", "GRNT", .disburse, 100_000)) }
            let id = try #require(try store.connection.scalar(Int64.self, "SELECT entry_id FROM ledger.event WHERE event_id = 'd'"))
            try store.reverse(entryID: id, effectiveDate: D("2026-10-04"), reason: "paid to the wrong account")
            // The corrected disbursement fits the obligation again, and the reports agree.
            #expect(try store.record(ev("d-again", "2026-10-05", "GRNT", .disburse, 100_000)).status == .created)
            let books = try store.exposureBooks(on: [D("2026-10-03"), D("2026-10-04"), D("2026-10-05")], knownAt: nil)
            #expect(books.figures[D("2026-10-03")]?["GRNT"]?.position.disbursed == 100_000)
            #expect(books.figures[D("2026-10-04")]?["GRNT"]?.position.disbursed == 0)
            #expect(books.figures[D("2026-10-05")]?["GRNT"]?.position.undisbursed == 0)
        }
    }

    @Test func eventSumsEqualTheEventsAtEveryDateAsKnownAtEveryTime() throws {
        try withFundedLedger { store in
            let db = store.connection
            var instants: [Instant?] = [nil]
            var writes = 0
            func record(_ events: [Event]) throws {
                try store.record(events.map { ("", $0) }, file: "t")
                instants.append(try Self.now(db))
                // Every other write is summarized by day, as the sealer's run does: the rest stay
                // past the watermark and are read one by one.
                writes += 1
                if writes % 2 == 0 { try store.summarize() }
            }
            try record([
                ev("o-loan", "2026-10-02", "LOAN", .obligate, 50_000_000), ev("o-eq", "2026-10-02", "EQTY", .obligate, 20_000_000),
                ev("o-pc", "2026-10-03", "PURC", .obligate, 9_000_000), ev("d1", "2026-10-05", "LOAN", .disburse, 10_000_000),
                ev("c1", "2026-10-06", "EQTY", .equityCall, 5_000_000),
            ])
            try record([ev("r1", "2026-10-20", "LOAN", .repay, 1_000_000), ev("p1", "2026-10-21", "PURC", .purchase, 3_000_000)])
            try store.closePeriod(YearMonth("2026-10")!)
            instants.append(try Self.now(db))
            try record([ev("d2", "2026-11-03", "LOAN", .disburse, 7_000_000), ev("x1", "2026-11-04", "PURC", .deobligate, 1_000_000)])
            _ = try store.monthEnd(YearMonth("2026-11")!)
            try record([ev("rp", "2026-12-02", "LOAN", .repayPrincipal, 2_000_000)])
            // October reopened, posted into, and closed again.
            try store.reopenPeriod(YearMonth("2026-10")!, reason: "a late capital call")
            try record([ev("c2", "2026-10-30", "EQTY", .equityCall, 1_500_000), ev("o-g", "2026-10-30", "GRNT", .obligate, 4_000_000)])
            try store.closePeriod(YearMonth("2026-11")!)
            instants.append(try Self.now(db))
            try store.closePeriod(YearMonth("2026-10")!)
            try record([ev("r2", "2026-12-28", "LOAN", .repay, 500_000), ev("wo", "2026-12-29", "LOAN", .writeOff, 100_000)])
            // A purchase and a repayment reversed later: they count up to the reversals' dates.
            for (key, date) in [("p1", "2026-12-30"), ("r2", "2026-12-30")] {
                let id = try #require(try db.scalar(Int64.self, "SELECT entry_id FROM ledger.event WHERE event_id = \(key)"))
                try store.reverse(entryID: id, effectiveDate: D(date), reason: "test")
                instants.append(try Self.now(db))
            }
            // November reopened and left open.
            try store.reopenPeriod(YearMonth("2026-11")!, reason: "review")
            try record([ev("d3", "2026-11-30", "GRNT", .disburse, 250_000)])

            var dates: [CivilDate] = []
            var d = D("2026-09-30")
            while d <= D("2027-01-05") {
                dates.append(d)
                d = d.adding(days: 4)
            }
            dates += [D("2026-10-31"), D("2026-11-30"), D("2026-12-31")]
            var compared = 0
            for knownAt in instants {
                let books = try store.exposureBooks(on: dates, knownAt: knownAt)
                for date in dates {
                    #expect(Self.fromTheBooks(books, date) == (try Self.fromTheEvents(db, asOf: date, knownAt: knownAt)), "\(date) known at \(knownAt?.description ?? "now")")
                    compared += 1
                }
            }
            #expect(compared > 200)
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.event_month WHERE month = '2026-10-01'") ?? 0 > 0, "October is summarized")
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.event WHERE event_id = 'd3' AND entry_id > (SELECT entry_id FROM ledger.summary_position)") == 1,
                    "the last write is past the watermark")

            let report = try store.verify()
            #expect(report.isIntact && report.eventSumsChecked > 0, "\(report.problems)")
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.event_day") ?? 0 > 0, "days are summarized")
            // A superuser's edit of a summary is named by verify.
            try db.execute(unsafeSQL: "UPDATE ledger.event_month SET amount_minor = amount_minor + 1, day_amount_minor[31] = day_amount_minor[31] + 1 WHERE month = '2026-10-01' AND facility_id = 'EQTY' AND event_type = 'equity-call'")
            try db.execute(unsafeSQL: "UPDATE ledger.event_month SET day_principal_credit_minor[20] = day_principal_credit_minor[20] + 7 WHERE month = '2026-10-01' AND facility_id = 'LOAN' AND event_type = 'repay'")
            try db.execute(unsafeSQL: "UPDATE ledger.event_total SET amount_minor = amount_minor - 1 WHERE facility_id = 'GRNT' AND event_type = 'disburse'")
            // (verify's own sealer run summarizes what was left past the watermark first.)
            #expect(try store.verify().problems == [
                .eventSumMismatch(
                    key: "facility EQTY equity-call 2026-10", stored: "amount 65000.01, 135000 credits 0.00", recomputed: "amount 65000.00, 135000 credits 0.00"),
                .eventSumMismatch(
                    key: "facility LOAN repay 2026-10-20", stored: "amount 10000.00, 135000 credits 10000.07", recomputed: "amount 10000.00, 135000 credits 10000.00"),
                .eventSumMismatch(key: "facility LOAN repay 2026-10-21", stored: "amount 0.00, 135000 credits -0.07", recomputed: "nothing"),
                .eventSumMismatch(key: "facility EQTY equity-call 2026-10-31", stored: "amount 0.01, 135000 credits 0.00", recomputed: "nothing"),
                .eventSumMismatch(
                    key: "facility GRNT disburse all time", stored: "amount 2499.99, 135000 credits 0.00", recomputed: "amount 2500.00, 135000 credits 0.00"),
            ])
        }
    }
}
