// Proves that balances read through the summaries (Schema/0012_summaries.sql: month and all-time
// rows kept up to a watermark by the summarizer, day rows on the posting path, the entries past the
// watermark read one by one) equal sums straight from the lines, while postings, closes, reopens
// and summarizer runs go on around the reads.
import Dates
import Foundation
import Ledger
import LedgerStore
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite struct SummaryTests {
    /// Random balanced entries over six months, on accounts with and without facilities.
    static func randomEntry(_ key: String, using rng: inout some RandomNumberGenerator) -> NewEntry {
        let pairs = [("135000", "101000"), ("101000", "251000"), ("920100", "921100"), ("134100", "531000"), ("101000", "135000")]
        let funds = ["FIN-DL", "FIN-LG", "PRG"]
        let facilities = ["", "F1", "F2", "F3"]
        var lines: [String] = []
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            let (dr, cr) = pairs.randomElement(using: &rng)!
            let fund = funds.randomElement(using: &rng)!
            let amount = "\(Int.random(in: 1...99_999, using: &rng)).\(String(format: "%02d", Int.random(in: 0...99, using: &rng)))"
            let facility = facilities.randomElement(using: &rng)!
            lines += ["\(dr) \(fund) debit \(amount) USD \(facility)", "\(cr) \(fund) credit \(amount) USD"]
        }
        let day = CivilDate(daysSinceEpoch: D("2026-07-01").daysSinceEpoch + Int.random(in: 0..<184, using: &rng))
        return NewEntry(eventKey: key, effectiveDate: day, description: "random \(key)", lines: lines.map { L($0.trimmingCharacters(in: .whitespaces)) })
    }

    /// Balances per account, fund, currency and facility straight from the lines, as of a date and
    /// as known at a time, in the caller's snapshot.
    static func fromTheLines(_ db: Connection, asOf: CivilDate, knownAt: Instant?, byFacility: Bool) throws -> [String: Int64] {
        let facility: SQL = byFacility ? "l.facility_id" : "''"
        let rows = try db.query(
            """
            SELECT l.account || ' ' || l.fund || ' ' || l.currency || ' ' || \(facility),
                   sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END)::bigint
              FROM ledger.journal_line l JOIN ledger.journal_entry e USING (entry_id)
             WHERE e.effective_date <= \(asOf) AND (\(knownAt)::timestamptz IS NULL OR e.recorded_at <= \(knownAt)::timestamptz)
               AND (NOT \(byFacility) OR l.facility_id IS NOT NULL)
             GROUP BY 1 HAVING sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0
            """)
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) })
    }

    @Test func balancesThroughTheSummariesEqualTheLinesWhilePostingsRun() throws {
        try withLedger { (store, conninfo) throws in
            let posting = Atomic<Int>(3)
            let failures = Mutex<[String]>([])
            let compared = Mutex<Int>(0)
            let asOfDates = [
                "2026-06-30", "2026-07-01", "2026-07-15", "2026-07-16", "2026-07-31", "2026-08-14", "2026-08-17", "2026-09-01", "2026-09-30",
                "2026-10-15", "2026-11-29", "2026-12-31", "9999-12-31",
            ].map(D)
            onThreads(6) { worker in
                do {
                    let store = try LedgerStore(conninfo: conninfo)
                    var rng = SystemRandomNumberGenerator()
                    switch worker {
                    case 0..<3:
                        // Posters: a posting dated in a closed month is refused and skipped.
                        defer { posting.subtract(1, ordering: .sequentiallyConsistent) }
                        for i in 0..<400 {
                            do { try store.post(Self.randomEntry("w\(worker)-\(i)", using: &rng)) } catch LedgerError.periodClosed {}
                        }
                    case 3:
                        // August and September closed and reopened over and over.
                        var i = 0
                        while posting.load(ordering: .sequentiallyConsistent) > 0 {
                            let month = YearMonth(year: 2026, month: 8 + i % 2)!
                            try store.closePeriod(month)
                            usleep(20_000)
                            try store.reopenPeriod(month, reason: "round \(i)")
                            i += 1
                        }
                    case 4:
                        // The summarizer, sometimes a few entries at a time, so the watermark
                        // stops anywhere.
                        while posting.load(ordering: .sequentiallyConsistent) > 0 {
                            let most = Int.random(in: 1...60, using: &rng)
                            _ = try store.connection.transaction { tx in try tx.scalar(Int.self, "SELECT ledger.summarize(\(most))") }
                            usleep(UInt32.random(in: 0...30_000, using: &rng))
                        }
                    default:
                        // The reader: each round in one snapshot, the store's read against the
                        // lines' sums, as of a random date and as known now or at an earlier time.
                        var instants: [Instant?] = [nil]
                        while posting.load(ordering: .sequentiallyConsistent) > 0 {
                            let db = store.connection
                            try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                            let asOf = asOfDates.randomElement(using: &rng)!
                            let knownAt = instants.randomElement(using: &rng)!
                            let balances = try store.balances(asOf: asOf, knownAt: knownAt)
                            let read = Dictionary(uniqueKeysWithValues: balances.map { ("\($0.account) \($0.fund) \($0.currency) ", $0.balanceMinorUnits) })
                            let byFacility = try store.facilityBalances(asOf: asOf, knownAt: knownAt)
                            let readByFacility = Dictionary(
                                uniqueKeysWithValues: byFacility.map { ("\($0.account) \($0.fund) \($0.currency) \($0.facilityID)", $0.balanceMinorUnits) })
                            if read != (try Self.fromTheLines(db, asOf: asOf, knownAt: knownAt, byFacility: false)) {
                                failures.withLock { $0.append("balances as of \(asOf) known at \(knownAt?.description ?? "now")") }
                            }
                            if readByFacility != (try Self.fromTheLines(db, asOf: asOf, knownAt: knownAt, byFacility: true)) {
                                failures.withLock { $0.append("facility balances as of \(asOf) known at \(knownAt?.description ?? "now")") }
                            }
                            instants.append(try db.scalar(Instant.self, "SELECT clock_timestamp()"))
                            try db.execute("COMMIT")
                            compared.withLock { $0 += 1 }
                        }
                    }
                } catch {
                    failures.withLock { $0.append("worker \(worker): \(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            #expect(compared.withLock { $0 } > 20, "reads made while postings ran")
            // Entries reached the summaries and stayed past the watermark both, and closes met the posters.
            let db = store.connection
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.balance_total") ?? 0 > 0)
            #expect(try db.scalar(Int.self, "SELECT count(*) FROM ledger.period_event WHERE action = 'reopen'") ?? 0 > 2)
            // After the last summarizer run, the same reads agree, and verify recomputes every summary.
            try store.summarize()
            for asOf in ["2026-07-15", "2026-08-17", "2026-12-31"].map(D) {
                let read = try store.balances(asOf: asOf).map { ("\($0.account) \($0.fund) \($0.currency) ", $0.balanceMinorUnits) }
                #expect(Dictionary(uniqueKeysWithValues: read) == (try Self.fromTheLines(db, asOf: asOf, knownAt: nil, byFacility: false)))
            }
            #expect(try store.verify().problems == [])
        }
    }

    @Test func aMonthRowsRunningSumsAddEveryDayInAnyOrder() throws {
        // The days of a month row (Schema/0016_days_in_month_rows.sql): element d sums the amounts
        // dated from the 1st to the d-th, a day may come more than once, and two runs add day by day.
        try withLedger { (store, _) throws in
            let db = store.connection
            let running = try #require(try db.scalar(String.self, "SELECT ledger.running_by_day(ARRAY[5, 1, 5, 31, 2], ARRAY[10, 1, 2, 7, -3]::bigint[])::text"))
            #expect(running == "{1,-2,-2,-2,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,17}")
            #expect(try db.scalar(String.self, "SELECT ledger.running_by_day('{}', '{}')::text") == "{" + Array(repeating: "0", count: 31).joined(separator: ",") + "}")
            let added = try #require(
                try db.scalar(String.self, "SELECT ledger.add_days(ledger.running_by_day(ARRAY[5], ARRAY[10::bigint]), ledger.running_by_day(ARRAY[30], ARRAY[4::bigint]))::text"))
            #expect(added == "{" + (Array(repeating: "0", count: 4) + Array(repeating: "10", count: 25) + ["14", "14"]).joined(separator: ",") + "}")
        }
    }

    @Test func aRunOverThousandsOfEntriesSumsTheirEventsAsAFewAtATimeDo() throws {
        // A run passing 2,000 entries or more joins their events whole, a smaller one looks them up
        // entry by entry (Schema/0012_summaries.sql): both give the same sums.
        let events = [ev("o", "2026-10-01", "LOAN", .obligate, 90_000_000)]
            + (0..<2_400).map { ev("d\($0)", "2026-10-\(String(format: "%02d", 2 + $0 % 27))", "LOAN", .disburse, 100 + Int64($0 % 7)) }
            + (0..<300).map { ev("r\($0)", "2026-10-30", "LOAN", .repay, 50) }
        var sums: [[String]] = []
        for batch in [nil, 150] {
            try withFundedLedger { store in
                try store.record(events.map { ("", $0) }, file: "many")
                if let batch {
                    func run() throws -> Int { try store.connection.transaction { tx in try tx.scalar(Int.self, "SELECT ledger.summarize(\(batch))") ?? 0 } }
                    while try run() > 0 {}
                } else {
                    #expect(try store.summarize() >= events.count)
                }
                let db = store.connection
                #expect(try db.scalar(Int64.self, "SELECT amount_minor FROM ledger.event_total WHERE facility_id = 'LOAN' AND event_type = 'disburse'") == (0..<2_400).reduce(0) { $0 + 100 + Int64($1 % 7) })
                var figures: [String] = []
                for date in ["2026-10-01", "2026-10-14", "2026-10-16", "2026-10-29", "2026-10-31"].map(D) {
                    let read = ExposureBooksTests.fromTheBooks(try store.exposureBooks(on: [date], knownAt: nil), date)
                    #expect(read == (try ExposureBooksTests.fromTheEvents(db, asOf: date, knownAt: nil)), "\(date), runs of \(batch.map(String.init) ?? "all")")
                    figures += read
                }
                #expect(try store.verify().problems == [])
                sums.append(figures)
            }
        }
        #expect(sums.count == 2 && sums[0] == sums[1])
    }
}
