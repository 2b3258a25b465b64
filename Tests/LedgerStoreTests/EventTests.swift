import Dates
import Ledger
import LedgerStore
import Postgres
import Testing

/// A ledger with one facility of each instrument, funded (appropriated, apportioned, allotted,
/// borrowed) so that events can be recorded.
func withFundedLedger<T>(_ body: (LedgerStore) throws -> T) throws -> T {
    try withLedger { (store, _) throws in
        let minerals = try store.mineralLists()
        let base: [String: String] = [
            "counterparty": "Co", "authority": "DPA-303", "executive_order": "EO 14241 (2025-03-20)", "country": "US", "state": "NV",
            "naics": "331410", "minerals": "graphite", "cohort_fy": "2027", "currency": "USD", "obligated": "1000000.00",
        ]
        let loanTerms: [String: String] = [
            "authority": "DPA-302", "shortfall": "Anode", "rate": "7.25%", "day_count": "act-360", "frequency": "monthly",
            "amortization": "level-payment", "first_payment": "2027-01-31", "maturity": "2030-12-31", "grace_months": "0",
        ]
        let facilities: [[String: String]] = [
            ["facility_id": "LOAN", "name": "Loan", "instrument": "direct-loan"].merging(loanTerms) { $1 },
            ["facility_id": "GTEE", "name": "Guarantee", "instrument": "loan-guarantee"],
            ["facility_id": "EQTY", "name": "Equity", "instrument": "equity"],
            ["facility_id": "PURC", "name": "Purchase", "instrument": "purchase-commitment"],
            ["facility_id": "GRNT", "name": "Grant", "instrument": "grant"],
        ]
        try store.importFacilities(
            try facilities.map { ("", try Facility.parse(base.merging($0) { $1 }, minerals: minerals, file: "t", location: "")) }, file: "t", update: false)
        var funding: [Event] = []
        for fund in ["FIN-DL", "FIN-LG", "EQ", "DPA", "PRG"] {
            let resource: EventType = fund == "FIN-DL" ? .borrowingAuthority : .appropriation
            for (i, type) in [resource, .apportion, .allot].enumerated() {
                funding.append(Event(id: "\(fund)-\(i)", date: D("2026-10-01"), facilityID: nil, fund: fund, type: type, amount: 500_000_000, currency: .usd))
            }
        }
        funding.append(Event(id: "borrow", date: D("2026-10-01"), facilityID: nil, fund: "FIN-DL", type: .borrow, amount: 300_000_000, currency: .usd))
        try store.record(funding.map { ("", $0) }, file: "funding")
        return try body(store)
    }
}

/// A facility event on `facility`, amount in cents.
func ev(_ id: String, _ date: String, _ facility: String, _ type: EventType, _ cents: Int64?) -> Event {
    Event(id: id, date: D(date), facilityID: facility, fund: nil, type: type, amount: cents, currency: nil)
}

/// The lines of an entry as "Dr 135000 100.00".
func lines(_ store: LedgerStore, _ result: PostResult) throws -> [String] {
    try #require(try store.entry(id: result.entryID)).entry.lines.map { "\($0.side == .debit ? "Dr" : "Cr") \($0.account) \($0.amount.formatted)" }
}

@Suite struct EventTests {
    @Test func everyEventTypePostsItsRule() throws {
        try withFundedLedger { store in
            func check(_ event: Event, _ expected: [String]) throws {
                let result = try store.record(event)
                #expect(try lines(store, result) == expected, "\(event.type.rawValue)")
            }
            try check(Event(id: "appn", date: D("2026-10-02"), facilityID: nil, fund: "PRG", type: .appropriation, amount: 100, currency: .usd),
                      ["Dr 411900 1.00", "Cr 445000 1.00", "Dr 101000 1.00", "Cr 310100 1.00"])
            try check(Event(id: "rb", date: D("2026-10-02"), facilityID: nil, fund: "FIN-DL", type: .repayBorrowing, amount: 100, currency: .usd),
                      ["Dr 251000 1.00", "Cr 101000 1.00"])
            try check(Event(id: "ba", date: D("2026-10-02"), facilityID: nil, fund: "FIN-LG", type: .borrowingAuthority, amount: 100, currency: .usd),
                      ["Dr 414100 1.00", "Cr 445000 1.00"])
            try check(Event(id: "ap", date: D("2026-10-02"), facilityID: nil, fund: "FIN-LG", type: .apportion, amount: 100, currency: .usd),
                      ["Dr 445000 1.00", "Cr 451000 1.00"])
            try check(Event(id: "al", date: D("2026-10-02"), facilityID: nil, fund: "FIN-LG", type: .allot, amount: 100, currency: .usd),
                      ["Dr 451000 1.00", "Cr 461000 1.00"])
            try check(Event(id: "bo", date: D("2026-10-02"), facilityID: nil, fund: "FIN-LG", type: .borrow, amount: 100, currency: .usd),
                      ["Dr 101000 1.00", "Cr 251000 1.00"])
            try check(ev("o1", "2026-10-02", "LOAN", .obligate, 100_000_000), ["Dr 461000 1000000.00", "Cr 480100 1000000.00"])
            try check(ev("o2", "2026-10-03", "LOAN", .deobligate, 10_000_000), ["Dr 480100 100000.00", "Cr 461000 100000.00"])
            try check(ev("d1", "2026-10-05", "LOAN", .disburse, 50_000_000), ["Dr 135000 500000.00", "Cr 101000 500000.00", "Dr 480100 500000.00", "Cr 490200 500000.00"])
            try check(ev("f1", "2026-10-06", "LOAN", .fee, 1_000), ["Dr 101000 10.00", "Cr 139900 10.00", "Dr 420100 10.00", "Cr 426600 10.00"])
            // 500,000.00 × 7.25% × 15/360 = 1,510.416… → 1,510.42
            try check(ev("a1", "2026-10-20", "LOAN", .accrue, nil), ["Dr 134100 1510.42", "Cr 531000 1510.42"])
            try check(ev("ci", "2026-10-20", "LOAN", .capitalizeInterest, 10_000), ["Dr 135000 100.00", "Cr 134100 100.00"])
            try check(ev("ri", "2026-10-20", "LOAN", .repayInterest, 10_000), ["Dr 101000 100.00", "Cr 134100 100.00", "Dr 420100 100.00", "Cr 426600 100.00"])
            try check(ev("rp", "2026-10-20", "LOAN", .repayPrincipal, 10_000), ["Dr 101000 100.00", "Cr 135000 100.00", "Dr 420100 100.00", "Cr 426600 100.00"])
            // Waterfall: 1,310.42 of interest is left, the rest is principal.
            try check(ev("r1", "2026-10-21", "LOAN", .repay, 200_000),
                      ["Dr 101000 2000.00", "Cr 134100 1310.42", "Cr 135000 689.58", "Dr 420100 2000.00", "Cr 426600 2000.00"])
            try check(ev("w1", "2026-10-22", "LOAN", .writeOff, 100_000), ["Dr 139900 1000.00", "Cr 135000 1000.00"])

            try check(ev("g0", "2026-10-02", "GTEE", .obligate, 5_000_000), ["Dr 461000 50000.00", "Cr 480100 50000.00"])
            try check(ev("g1", "2026-10-02", "GTEE", .guaranteeIssue, 90_000_000), ["Dr 920100 900000.00", "Cr 921100 900000.00"])
            try check(ev("g2", "2026-10-03", "GTEE", .guaranteeReduce, 10_000_000), ["Dr 921100 100000.00", "Cr 920100 100000.00"])
            try check(ev("g3", "2026-10-04", "GTEE", .guaranteeClaim, 1_000_000),
                      ["Dr 218000 10000.00", "Cr 101000 10000.00", "Dr 921100 10000.00", "Cr 920100 10000.00"])
            try check(ev("g4", "2026-10-05", "GTEE", .guaranteeRecovery, 400_000), ["Dr 101000 4000.00", "Cr 218000 4000.00"])

            try check(ev("e0", "2026-10-02", "EQTY", .obligate, 80_000_000), ["Dr 461000 800000.00", "Cr 480100 800000.00"])
            try check(ev("e1", "2026-10-03", "EQTY", .equityCall, 50_000_000), ["Dr 169000 500000.00", "Cr 101000 500000.00", "Dr 480100 500000.00", "Cr 490200 500000.00"])
            try check(ev("e2", "2026-10-04", "EQTY", .equityValuation, 3_000_000), ["Dr 161800 30000.00", "Cr 719000 30000.00"])
            try check(ev("e3", "2026-10-05", "EQTY", .equityValuation, -1_000_000), ["Dr 729000 10000.00", "Cr 161800 10000.00"])
            try check(ev("e4", "2026-10-06", "EQTY", .equityDistribution, 10_000_000), ["Dr 101000 100000.00", "Cr 169000 100000.00"])
            // Carrying 400,000 cost + 20,000 adjustment; sold for 450,000: gain 30,000.
            try check(ev("e5", "2026-10-07", "EQTY", .equityExit, 45_000_000), ["Dr 101000 450000.00", "Cr 169000 400000.00", "Cr 161800 20000.00", "Cr 719000 30000.00"])

            try check(ev("p0", "2026-10-02", "PURC", .obligate, 20_000_000), ["Dr 461000 200000.00", "Cr 480100 200000.00"])
            try check(ev("p1", "2026-10-03", "PURC", .purchase, 12_000_000), ["Dr 152100 120000.00", "Cr 101000 120000.00", "Dr 480100 120000.00", "Cr 490200 120000.00"])
            try check(ev("p2", "2026-10-04", "PURC", .resale, 11_000_000), ["Dr 101000 110000.00", "Cr 152100 120000.00", "Dr 729000 10000.00"])

            try check(ev("t0", "2026-10-02", "GRNT", .obligate, 1_000_000), ["Dr 461000 10000.00", "Cr 480100 10000.00"])
            try check(ev("t1", "2026-10-03", "GRNT", .disburse, 400_000), ["Dr 610000 4000.00", "Cr 101000 4000.00", "Dr 480100 4000.00", "Cr 490200 4000.00"])
            #expect(try store.verify().isIntact)
            let covered = try store.connection.query("SELECT DISTINCT event_type FROM ledger.event").map { try $0.decode(String.self, at: 0) }
            #expect(Set(covered) == Set(EventType.allCases.map(\.rawValue)), "every event type was posted")
        }
    }

    @Test func writeOffWithoutAnAmountTakesEverything() throws {
        try withFundedLedger { store in
            try store.record(ev("o", "2026-10-01", "LOAN", .obligate, 100_000_000))
            try store.record(ev("d", "2026-10-01", "LOAN", .disburse, 36_000_000))
            try store.record(ev("a", "2026-10-11", "LOAN", .accrue, nil))  // 360,000 × 7.25% × 10/360 = 725.00
            #expect(try lines(store, try store.record(ev("w", "2026-10-12", "LOAN", .writeOff, nil))) == ["Dr 139900 360725.00", "Cr 135000 360000.00", "Cr 134100 725.00"])
        }
    }

    @Test func everyBusinessRuleRefusesWithItsNameAndWritesNothing() throws {
        try withFundedLedger { store in
            try store.record(ev("o", "2026-10-01", "LOAN", .obligate, 100_000_000))
            try store.record(ev("d", "2026-10-01", "LOAN", .disburse, 40_000_000))
            try store.record(ev("go", "2026-10-01", "GTEE", .obligate, 1_000_000))
            try store.record(ev("gi", "2026-10-01", "GTEE", .guaranteeIssue, 5_000_000))
            try store.record(ev("eo", "2026-10-01", "EQTY", .obligate, 1_000_000))
            try store.record(ev("ec", "2026-10-01", "EQTY", .equityCall, 1_000_000))
            let future = CivilDate.todayUTC().adding(days: 400).description
            let cases: [(Event, String)] = [
                (ev("x1", "2026-10-02", "LOAN", .disburse, 60_000_001), "disbursement within the undisbursed obligation: disburse of 600000.01 USD exceeds the undisbursed obligation of 600000.00 USD by 0.01 USD"),
                (ev("x2", "2026-10-02", "LOAN", .deobligate, 60_000_001), "deobligation within the undisbursed obligation"),
                (ev("x3", "2026-10-02", "LOAN", .repay, 50_000_000), "repayment within what is owed: a repayment of 500000.00 USD exceeds what is owed, 400000.00 USD (accrued interest 0.00 USD + principal 400000.00 USD)"),
                (ev("x4", "2026-10-02", "LOAN", .repayInterest, 100), "interest within interest accrued"),
                (ev("x5", "2026-10-02", "LOAN", .repayPrincipal, 40_000_001), "repayment within what is owed"),
                (ev("x6", "2026-10-02", "LOAN", .writeOff, 40_000_001), "write-off of what is owed"),
                (ev("x7", "2026-10-02", "GTEE", .guaranteeReduce, 5_000_001), "guarantees outstanding never negative"),
                (ev("x8", "2026-10-02", "EQTY", .equityValuation, -1_000_001), "fair value never negative"),
                (ev("x9", "2026-10-02", "EQTY", .equityDistribution, 1_000_001), "return of capital within cost"),
                (ev("x10", "2026-10-02", "PURC", .resale, 100), "resale of held inventory"),
                (ev("x11", "2026-10-02", "LOAN", .obligate, 50_000_000_000), "Anti-Deficiency: obligations within the available allotment (461000): fund FIN-DL has 4000000.00 USD available; this entry needs 500000000.00 USD"),
                (ev("x12", "2026-10-02", "GTEE", .disburse, 100), "events a loan-guarantee accepts"),
                (ev("x13", future, "LOAN", .fee, 100), "effective date within a year"),
                (Event(id: "x14", date: D("2026-10-02"), facilityID: nil, fund: "PRG", type: .borrow, amount: 100, currency: .usd), "funds a borrow may name: fund PRG is not FIN-*"),
            ]
            let before = try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry")
            for (event, message) in cases {
                do {
                    try store.record(event)
                    Issue.record("\(event.id) was accepted")
                } catch {
                    #expect(String(describing: error).contains(message), "\(event.id): \(error)")
                }
            }
            // Cash never credit: FIN-DL borrowed 3,000,000.00 and disbursed 400,000.00; obligate more than its cash.
            try store.record(ev("o2", "2026-10-02", "LOAN", .obligate, 300_000_000))
            #expect(throws: LedgerError.businessRule(eventKey: "x16", rule: "cash never credit (Fund Balance with Treasury, 101000)", detail: "fund FIN-DL has 2600000.00 USD available; this entry needs 2600000.01 USD, 0.01 USD more")) {
                try store.record(ev("x16", "2026-10-03", "LOAN", .disburse, 260_000_001))
            }
            // Borrowing repaid beyond what is owed, with cash to spare from an appropriation.
            try store.record(Event(id: "appn", date: D("2026-10-02"), facilityID: nil, fund: "FIN-DL", type: .appropriation, amount: 100_000_000, currency: .usd))
            #expect(throws: LedgerError.businessRule(eventKey: "x15", rule: "borrowing repaid within what is owed to Treasury (251000)", detail: "fund FIN-DL has 3000000.00 USD available; this entry needs 3000000.01 USD, 0.01 USD more")) {
                try store.record(Event(id: "x15", date: D("2026-10-03"), facilityID: nil, fund: "FIN-DL", type: .repayBorrowing, amount: 300_000_001, currency: .usd))
            }
            #expect(try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry") == before! + 2)
        }
    }

    @Test func eventsAreIdempotentAndAFileIsAllOrNothing() throws {
        try withFundedLedger { store in
            let first = try store.record(ev("o", "2026-10-01", "LOAN", .obligate, 100_000))
            #expect(try store.record(ev("o", "2026-10-01", "LOAN", .obligate, 100_000)) == PostResult(entryID: first.entryID, eventKey: "o", status: .existing))
            #expect(throws: LedgerError.idempotencyConflict(eventKey: "o", field: "amount", existing: "1000.00", requested: "1000.01")) {
                try store.record(ev("o", "2026-10-01", "LOAN", .obligate, 100_001))
            }
            // The same id twice in one file: the second is the same event, so it is "existing".
            let twice = try store.record([("row 2", ev("t", "2026-10-02", "LOAN", .fee, 100)), ("row 3", ev("t", "2026-10-02", "LOAN", .fee, 100))], file: "e.csv")
            #expect(twice.map(\.status) == [.created, .existing])
            #expect(twice[0].entryID > 0 && twice[1].entryID == twice[0].entryID, "the first one's id, written before the second was compared")
            // Text reaches the database as it was, through one event and through a batch.
            let memo = "quote \" backslash \\ tab \t newline \n bell \u{7} é 😀 \u{1F}"
            var tricky = ev("m1", "2026-10-02", "LOAN", .fee, 100)
            tricky.memo = memo
            tricky.reference = "ref/\"1\""
            try store.record(tricky)
            tricky.id = "m2"
            try store.record([("row 2", tricky)], file: "e.csv")
            for id in ["m1", "m2"] {
                #expect(try store.connection.scalar(String.self, "SELECT memo FROM ledger.event WHERE event_id = \(id)") == memo)
                #expect(try store.connection.scalar(String.self, "SELECT reference FROM ledger.event WHERE event_id = \(id)") == "ref/\"1\"")
                #expect(try store.connection.scalar(String.self, "SELECT description FROM ledger.journal_entry WHERE event_key = \(id)")?.hasSuffix(memo) == true)
            }
            // What means something inside an array literal (a batch's columns): commas, braces,
            // the word NULL, spaces at either end.
            var special = ev("m3", "2026-10-02", "LOAN", .fee, 100)
            special.reference = "NULL"
            special.memo = " {a,b}, \"NULL\" \\, NULL "
            try store.record([("row 2", special)], file: "e.csv")
            #expect(try store.connection.scalar(String.self, "SELECT reference FROM ledger.event WHERE event_id = 'm3'") == "NULL")
            #expect(try store.connection.scalar(String.self, "SELECT memo FROM ledger.event WHERE event_id = 'm3'") == special.memo)
            let entries = try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry")
            do {
                try store.record([("row 2", ev("d1", "2026-10-02", "LOAN", .disburse, 50_000)), ("row 3", ev("d2", "2026-10-03", "LOAN", .disburse, 50_001))], file: "e.csv")
                Issue.record("the second disbursement exceeds the obligation")
            } catch let error as LocatedError {
                #expect(error.description.hasPrefix("e.csv, row 3: event d2 refused by the rule disbursement within the undisbursed obligation"))
            }
            #expect(try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.journal_entry") == entries, "nothing of the file stays")
        }
    }

    @Test func aFileLargerThanABatchReadsWhatItsEarlierBatchesWrote() throws {
        try withFundedLedger { store in
            // The disbursement is written in the first batch; the accrual after it takes the
            // principal the import keeps for the facility it locked.
            var file = [ev("o", "2026-10-01", "LOAN", .obligate, 100_000_000), ev("d", "2026-10-15", "LOAN", .disburse, 100_000_000)]
            for i in 0..<5_000 { file.append(ev("fee-\(i)", "2026-10-16", "LOAN", .fee, 1)) }
            file.append(ev("accrue", "2026-11-01", "LOAN", .accrue, nil))
            let results = try store.record(file.enumerated().map { ("row \($0.offset + 2)", $0.element) }, file: "big.csv")
            // 1,000,000.00 × 7.25% × 17/360 = 3,423.61
            #expect(try lines(store, try #require(results.last)) == ["Dr 134100 3423.61", "Cr 531000 3423.61"])
            #expect(try store.verify().isIntact)
        }
    }

    @Test func anAccrualInAFileTakesEveryEarlierDisbursementWhateverItsDate() throws {
        // The principal an import keeps per facility as it goes, from the journal at its start: a
        // disbursement in the file dated before one recorded earlier starts a step of its own. The
        // same accrual recorded on its own reads that principal from the journal instead: it must
        // come out the same.
        let recorded = [ev("o", "2026-10-01", "LOAN", .obligate, 200_000_000), ev("d1", "2026-10-15", "LOAN", .disburse, 100_000_000)]
        let file = [ev("d0", "2026-10-05", "LOAN", .disburse, 50_000_000), ev("accrue", "2026-11-01", "LOAN", .accrue, nil)]
        // 500,000.00 × 7.25% × 10/360 + 1,500,000.00 × 7.25% × 17/360 = 6,142.36
        let expected = ["Dr 134100 6142.36", "Cr 531000 6142.36"]
        try withFundedLedger { store in
            for e in recorded { try store.record(e) }
            let results = try store.record(file.enumerated().map { ("row \($0.offset + 2)", $0.element) }, file: "backdated.csv")
            #expect(try lines(store, try #require(results.last)) == expected)
        }
        try withFundedLedger { store in
            for e in recorded + [file[0]] { try store.record(e) }
            #expect(try lines(store, try store.record(file[1])) == expected)
            #expect(try store.verify().isIntact)
        }
    }

    @Test func monthEndAccruesOnceAndRefusesAClosedMonth() throws {
        try withFundedLedger { store in
            try store.record(ev("o", "2026-10-01", "LOAN", .obligate, 100_000_000))
            try store.record(ev("d", "2026-10-15", "LOAN", .disburse, 100_000_000))
            let october = try store.monthEnd(YearMonth("2026-10")!)
            let loan = try #require(october.first { $0.facilityID == "LOAN" })
            // 1,000,000.00 × 7.25% × 17/360 = 3,423.61
            #expect(loan.status == .created && loan.amount?.formatted == "3423.61" && loan.from == D("2026-10-15") && loan.to == D("2026-11-01"))
            let again = try store.monthEnd(YearMonth("2026-10")!)
            #expect(again.first { $0.facilityID == "LOAN" }?.status == .existing, "running month-end twice posts nothing new")
            #expect(try store.connection.scalar(Int64.self, "SELECT count(*) FROM ledger.event WHERE event_type = 'accrue'") == 1)
            // An accrue or a disbursement dated inside the accrued period is refused.
            #expect(throws: LedgerError.self) { try store.record(ev("late", "2026-10-20", "LOAN", .disburse, 100)) }
            #expect(throws: LedgerError.self) { try store.record(ev("late-a", "2026-10-31", "LOAN", .accrue, nil)) }

            try store.closePeriod(YearMonth("2026-11")!)
            #expect(throws: LedgerError.periodState(month: "2026-11", reason: "is closed: month-end cannot post into it (reopen it with a reason first)")) {
                try store.monthEnd(YearMonth("2026-11")!)
            }
        }
    }
}

@Suite struct LimitTests {
    @Test func anObligationThatWouldCrossTheMCLIsBlocked() throws {
        try withFundedLedger { store in
            // A cap of 12,000.00 from 2026-10-01 (the configured history stays).
            try store.setLimit(LimitConfig(id: "mcl", effectiveFrom: D("2026-10-01"), kind: .mcl, amount: 1_200_000, share: nil, severity: .block, note: "test"))
            try store.record(ev("o1", "2026-10-02", "LOAN", .obligate, 1_000_000))
            #expect(throws: LedgerError.businessRule(eventKey: "o2", rule: "limit mcl", detail: "mcl: 12000.01 USD would be used of a cap of 12000.00 USD, 0.01 USD over")) {
                try store.record(ev("o2", "2026-10-03", "PURC", .obligate, 200_001))
            }
            // A file counts the exposure of facilities it does not touch as well (read once, under
            // its locks).
            #expect {
                try store.record([("row 2", ev("o2", "2026-10-03", "PURC", .obligate, 200_001))], file: "e.csv")
            } throws: { error in
                "\((error as? LocatedError)?.underlying ?? error)".contains("mcl: 12000.01 USD would be used of a cap of 12000.00 USD")
            }
            try store.record(ev("o3", "2026-10-03", "PURC", .obligate, 200_000))
            // Dated before the lower cap took effect, the old cap applies.
            try store.record(ev("o4", "2026-09-30", "GRNT", .obligate, 100))
            // Exposure-neutral events still pass at the cap: a disbursement moves undisbursed to principal.
            try store.record(ev("d1", "2026-10-04", "LOAN", .disburse, 500_000))
            let status = try store.limitStatus(on: D("2026-10-04"))
            let mcl = try #require(status.first { $0.limit == "mcl" })
            #expect(mcl.cap == 1_200_000 && mcl.used == 1_200_000 && mcl.utilization == "1.0000" && mcl.state == .ok)
            #expect(try store.limitConfigs().filter { $0.id == "mcl" }.map(\.effectiveFrom) == [D("2019-12-20"), D("2025-12-18"), D("2026-10-01")])
        }
    }

    @Test func equityShareBlocksAndTheDPA302ThresholdWarns() throws {
        try withFundedLedger { store in
            for fund in ["FIN-DL", "EQ"] {
                let resource: EventType = fund == "FIN-DL" ? .borrowingAuthority : .appropriation
                for (i, type) in [resource, .apportion, .allot].enumerated() {
                    try store.record(Event(id: "more-\(fund)-\(i)", date: D("2026-10-01"), facilityID: nil, fund: fund, type: type, amount: 10_000_000_000, currency: .usd))
                }
            }
            // 55,000,000.00 on the DPA-302 loan's shortfall ("Anode"): over the notice threshold, a warning.
            let warned = try store.record(ev("o1", "2026-10-02", "LOAN", .obligate, 5_500_000_000))
            #expect(warned.warnings == ["limit dpa302-shortfall:Anode: 55000000.00 USD would be used of a cap of 50000000.00 USD, 5000000.00 USD over"])
            #expect(try store.limitStatus(on: D("2026-10-02")).first { $0.limit == "dpa302-shortfall:Anode" }?.state == .warn)
            // Equity is at most 35% of total exposure: with 55,000,000.00 of loans, 30,000,000.00 is too much.
            #expect(throws: LedgerError.businessRule(eventKey: "e1", rule: "limit equity-share", detail: "equity-share: 30000000.00 USD would be used of a cap of 29750000.00 USD, 250000.00 USD over")) {
                try store.record(ev("e1", "2026-10-03", "EQTY", .obligate, 3_000_000_000))
            }
            #expect(try store.record(ev("e2", "2026-10-03", "EQTY", .obligate, 2_900_000_000)).warnings == [])
        }
    }
}

@Suite struct FuzzImportTests {
    /// Mutated event files through the real import: each is posted whole or not at all.
    @Test func aMutatedFileIsPostedWholeOrNotAtAll() throws {
        try withFundedLedger { store in
            let base = Array("""
                event_id,date,facility_id,fund,type,amount,currency,reference,memo
                F1,2026-10-05,LOAN,,obligate,1000.00,,,
                F2,2026-10-06,LOAN,,disburse,400.00,,,
                F3,2026-10-07,LOAN,,fee,5.00,,"ref, 1",
                F4,2026-10-08,GTEE,,guarantee-issue,900.00,,,

                """.utf8)
            var state: UInt64 = 77
            func next(_ bound: Int) -> Int {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int((state >> 33) % UInt64(bound))
            }
            let specials: [[UInt8]] = [[0x22], [0x2C], [0x0A], [0xFF], [0x2D], Array("9".utf8), Array("0".utf8), Array("x".utf8)]
            func count(_ sql: SQL) throws -> Int64 { try store.connection.scalar(Int64.self, sql) ?? -1 }
            var whole = 0, nothing = 0
            for round in 0..<150 {
                var bytes = base
                for _ in 0..<(1 + next(3)) {
                    let i = next(bytes.count)
                    if next(2) == 0 { bytes.remove(at: i) } else { bytes.insert(contentsOf: specials[next(specials.count)], at: i) }
                }
                // Fresh ids each round, so that every accepted file adds its events.
                let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\nF", with: "\nR\(round)-F")
                let entries = try count("SELECT count(*) FROM ledger.journal_entry")
                let lines = try count("SELECT count(*) FROM ledger.journal_line")
                do {
                    let table = try CSVTable(Array(text.utf8), file: "m.csv", required: ["event_id", "date", "type", "amount"], optional: Event.optionalColumns)
                    let events = try table.records.map { record in
                        try Event.parse(
                            Dictionary(uniqueKeysWithValues: Event.columns.map { ($0, table.value(record, $0)) }), currencyOf: { _ in .usd }, file: "m.csv",
                            location: "row \(record.row)")
                    }
                    let results = try store.record(events.map { ("", $0) }, file: "m.csv")
                    let created = results.filter { $0.status == .created }.count
                    #expect(try count("SELECT count(*) FROM ledger.journal_entry") == entries + Int64(created))
                    whole += 1
                } catch {
                    #expect(try count("SELECT count(*) FROM ledger.journal_entry") == entries, "round \(round): \(error)")
                    #expect(try count("SELECT count(*) FROM ledger.journal_line") == lines)
                    nothing += 1
                }
            }
            #expect(whole > 0 && nothing > 0)
            #expect(try store.verify().isIntact)
        }
    }
}
