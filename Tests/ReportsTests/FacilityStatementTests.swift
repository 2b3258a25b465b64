// Proves the facility statement's rules without a database: receipts applied to the contract
// schedule oldest installment first (paid, paid late, past due with its days, due today, not due,
// paid ahead), reversed receipts left out, balances converted at the rate on or before the date,
// a missing rate refused, and an HTML page that escapes what it shows.
import Dates
import Ledger
import Reports
import Testing

@Suite struct FacilityStatementTests {
    static let usd = Currency(code: "USD")!
    static func day(_ iso: String) -> CivilDate { CivilDate(iso: iso)! }

    /// Three quarterly installments of 100.00 (interest 10.00, principal 90.00).
    static let schedule = Schedule(
        payment: 10_000,
        rows: [
            .init(n: 1, date: day("2026-03-31"), payment: 10_000, interest: 1_000, principal: 9_000, balance: 18_000),
            .init(n: 2, date: day("2026-06-30"), payment: 10_000, interest: 1_000, principal: 9_000, balance: 9_000),
            .init(n: 3, date: day("2026-09-30"), payment: 10_000, interest: 1_000, principal: 9_000, balance: 0),
        ])

    static func receipt(_ id: Int64, _ date: String, _ amount: Int64, type: String = "repay", reversedBy: Int64? = nil) -> FacilityEntry {
        FacilityEntry(
            entryID: id, date: day(date), eventKey: "R-\(id)", eventType: type, amount: amount, currency: usd, reference: "LBX-\(id)",
            description: "receipt \(id)", reverses: nil, reversedBy: reversedBy, seal: .init(chainSeq: id, sha256: String(repeating: "a", count: 64)))
    }

    static func statement(
        _ entries: [FacilityEntry], asOf: String, facility: Facility = ExposureReportTests.facility("L-1", .directLoan, "USD"),
        figures: FacilityFigures = FacilityFigures(), fx: [String: [Step<ExactDecimal>]] = [:]
    ) throws -> FacilityStatement {
        try FacilityStatement.build(
            FacilityBooks(facility: facility, figures: figures, fxRates: fx, schedule: (Self.schedule, ExactDecimal("0.04")!), entries: entries),
            asOf: day(asOf), knownAt: nil, mineralLists: [:])
    }

    @Test func receiptsPayTheOldestInstallmentFirst() throws {
        // 150.00 before the first date (the first paid, half the second), 50.00 after the second's date.
        let s = try #require(try Self.statement([Self.receipt(1, "2026-03-28", 15_000), Self.receipt(2, "2026-07-10", 5_000)], asOf: "2026-08-15").schedule)
        let i = s.installments
        #expect(i[0].status == .paid && i[0].paidOn == "2026-03-28" && i[0].arrears == "0.00")
        #expect(i[1].status == .paidLate && i[1].paidOn == "2026-07-10" && i[1].paid == "100.00")
        #expect(i[2].status == .notDue && i[2].paid == "0.00" && i[2].daysPastDue == 0)
        #expect(s.dueToDate == "200.00" && s.receivedToDate == "200.00" && s.arrears == "0.00" && s.paidAhead == "0.00")
        #expect(s.nextDue?.date == "2026-09-30" && s.nextDue?.amount == "100.00")
    }

    @Test func aShortfallIsPastDueCountedInDaysAndADueDateItselfIsNotArrears() throws {
        let s = try #require(try Self.statement([Self.receipt(1, "2026-03-31", 4_000)], asOf: "2026-06-30").schedule)
        #expect(s.installments[0].status == .pastDue && s.installments[0].paid == "40.00" && s.installments[0].arrears == "60.00")
        #expect(s.installments[0].daysPastDue == 91, "31 March to 30 June")
        #expect(s.installments[1].status == .due && s.installments[1].arrears == "0.00", "due today, not yet in arrears")
        #expect(s.arrears == "60.00" && s.daysPastDue == 91 && s.dueToDate == "200.00")
        let statement = try Self.statement([Self.receipt(1, "2026-03-31", 4_000)], asOf: "2026-06-30")
        #expect(statement.flags == ["1 installment past due, the oldest 91 days"])
    }

    @Test func paidAheadAndReversedReceiptsAndOtherEventsAreNotReceipts() throws {
        let entries = [
            Self.receipt(1, "2026-03-01", 25_000),
            Self.receipt(2, "2026-03-02", 10_000, reversedBy: 9),
            Self.receipt(3, "2026-03-03", 50_000, type: "disburse"),
            Self.receipt(4, "2026-03-04", 1_000, type: "repay-interest"),
        ]
        let s = try #require(try Self.statement(entries, asOf: "2026-04-01").schedule)
        #expect(s.receivedToDate == "260.00", "repay and repay-interest, not the reversed one nor the disbursement")
        #expect(s.installments.map(\.status) == [.paid, .paid, .notDue] && s.installments[2].paid == "60.00")
        #expect(s.paidAhead == "160.00" && s.nextDue?.date == "2026-09-30" && s.nextDue?.amount == "40.00")
    }

    @Test func balancesInTheFacilityCurrencyAndInUSDAtTheRateOnOrBeforeTheDate() throws {
        let euro = ExposureReportTests.facility("EU-1", .directLoan, "EUR")
        let figures = ExposureReportTests.loan(obligated: 100_000_001, disbursed: 40_000_001, principal: 40_000_001, accrued: 333)
        let rates = ["EUR": [ExposureReportTests.rate("1.1000", "2026-10-31"), ExposureReportTests.rate("1.1642", "2026-11-30")]]
        let s = try Self.statement([], asOf: "2026-11-30", facility: euro, figures: figures, fx: rates)
        let principal = try #require(s.balances.first { $0.component == "outstanding_principal" })
        #expect(s.fxRate == "1.1642" && principal.amount == "400000.01" && principal.usd.plain == "465680.01")
        #expect(s.balances.first { $0.component == "accrued_interest" }?.usd.plain == "3.88")
        #expect(s.balances.map(\.component) == [
            "outstanding_principal", "accrued_interest", "undisbursed", "guarantee_outstanding", "equity_cost", "equity_fair_value", "obligated",
            "deobligated", "disbursed", "repaid", "exposure",
        ])
        // Before the first rate: refused, naming the currency and the date, never a zero.
        #expect(throws: LedgerError.missingFXRate(currency: "EUR", date: Self.day("2026-10-30"), facilityID: "EU-1")) {
            try Self.statement([], asOf: "2026-10-30", facility: euro, figures: figures, fx: rates)
        }
        // With nothing on the books yet there is nothing to convert.
        #expect(try Self.statement([], asOf: "2026-10-30", facility: euro, fx: rates).fxRate == nil)
    }

    @Test func theHTMLPageEscapesWhatItShows() throws {
        let hostile = ExposureReportTests.facility("L-1", .directLoan, "USD", name: "<script>alert(1)</script>")
        var entry = Self.receipt(1, "2026-03-28", 10_000)
        entry.description = "<img src=x onerror=alert(2)>"
        let html = try Self.statement([entry], asOf: "2026-04-30", facility: hostile).renderHTML()
        #expect(!html.contains("<script") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<img") && html.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(html.contains("Schedule against receipts") && html.contains(String(repeating: "a", count: 64)))
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing fetched")
    }
}
