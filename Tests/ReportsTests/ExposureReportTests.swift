// Proves the exposure report's arithmetic without a database: conversion at the month-end rate
// rounded per facility and column, `change` across a rate move, groups and totals as sums of the
// rows, a missing rate refused, the fiscal period, flags, and an HTML page that escapes what it
// shows and carries its charts; its JSON keys written as they are, the same as converted.
import Dates
import Ledger
@testable import Reports
import Testing

@Suite struct ExposureReportTests {
    static func facility(_ id: String, _ instrument: Instrument, _ currency: String, country: String = "US", minerals: [String] = ["copper"], name: String? = nil) -> Facility {
        Facility(
            id: id, name: name ?? "Facility \(id)", counterparty: "Obligor \(id)", instrument: instrument, authority: .build9621,
            executiveOrder: "EO 14241 (2025-03-20)", country: country, state: "", naics: "331410", minerals: minerals, cohortFY: 2026,
            currency: Currency(code: currency)!, obligated: Money(minorUnits: 1, currency: Currency(code: currency)!), terms: nil, shortfall: "")
    }

    static func loan(obligated: Int64, disbursed: Int64, principal: Int64, accrued: Int64 = 0) -> FacilityFigures {
        var p = FacilityPosition()
        p.obligated = obligated
        p.disbursed = disbursed
        p.principal = principal
        p.accruedInterest = accrued
        return FacilityFigures(position: p, principalRepaid: disbursed - principal)
    }

    static let october = YearMonth(year: 2026, month: 10)!
    static let november = YearMonth(year: 2026, month: 11)!
    static func rate(_ text: String, _ date: String) -> Step<ExactDecimal> { Step(CivilDate(iso: date)!, ExactDecimal(text)!) }

    static func books(_ facilities: [Facility], october: [String: FacilityFigures], november: [String: FacilityFigures], eur: [Step<ExactDecimal>]) -> ExposureBooks {
        ExposureBooks(
            facilities: facilities, fxRates: ["EUR": eur],
            limitConfigs: [LimitConfig(id: "mcl", effectiveFrom: CivilDate(iso: "2019-12-20")!, kind: .mcl, amount: 6_000_000_000_000, share: nil, severity: .block)],
            figures: [Self.october.lastDay: october, Self.november.lastDay: november])
    }

    @Test func aEuroFacilityAtTheMonthEndRateAndItsChangeAcrossARateMove() throws {
        let usdLoan = Self.facility("US-1", .directLoan, "USD")
        let euroLoan = Self.facility("EU-1", .directLoan, "EUR", country: "EE", minerals: ["neodymium", "dysprosium"])
        // EUR 1,000,000.01 obligated, 400,000.01 disbursed, the same principal both months; the rate moves 1.1000 → 1.1642.
        let euro = Self.loan(obligated: 100_000_001, disbursed: 40_000_001, principal: 40_000_001, accrued: 333)
        let report = try ExposureReport.build(
            month: Self.november, knownAt: nil,
            books: Self.books(
                [euroLoan, usdLoan], october: ["EU-1": euro, "US-1": Self.loan(obligated: 50_000_000, disbursed: 0, principal: 0)],
                november: ["EU-1": euro, "US-1": Self.loan(obligated: 50_000_000, disbursed: 10_000_000, principal: 9_000_000)],
                eur: [Self.rate("1.1000", "2026-10-31"), Self.rate("1.1642", "2026-11-30"), Self.rate("1.2000", "2026-12-01")]))
        let eu = try #require(report.facilities.first { $0.facilityId == "EU-1" })
        #expect(eu.fxRate == "1.1642", "the rate as imported, the latest on or before the month end")
        // 400,000.01 × 1.1642 = 465,680.011642 → 465,680.01; 1,000,000.01 × 1.1642 = 1,164,200.011642 → 1,164,200.01.
        #expect(eu.amounts.outstandingPrincipal.plain == "465680.01" && eu.amounts.obligated.plain == "1164200.01")
        #expect(eu.amounts.accruedInterest.plain == "3.88", "3.33 × 1.1642 = 3.876786, half away from zero")
        #expect(eu.amounts.exposure.plain == "1164200.01", "principal + undisbursed, converted once")
        // Last month: 1,000,000.01 × 1.1000 = 1,100,000.011 → 1,100,000.01; the change is the rate move alone.
        #expect(eu.amounts.change.plain == "64200.00")
        #expect(eu.minerals == ["neodymium", "dysprosium"] && report.groups["mineral"]?.contains { $0.key == "neodymium" } == true)
        let us = try #require(report.facilities.first { $0.facilityId == "US-1" })
        #expect(us.fxRate == "1" && us.amounts.disbursedInMonth.plain == "100000.00" && us.amounts.repaid.plain == "10000.00")
        #expect(us.amounts.change.plain == "-10000.00", "exposure 500,000 → 490,000 after a 10,000 repayment")
        #expect(report.fiscalPeriod == "FY2027 P02" && report.asOf == "2026-11-30" && report.knownAt == nil)
    }

    @Test func groupsAndTotalsAreSumsOfTheRoundedRows() throws {
        let facilities = [
            Self.facility("A", .directLoan, "EUR", country: "DE"), Self.facility("B", .directLoan, "EUR", country: "DE"),
            Self.facility("C", .directLoan, "USD", country: "US", minerals: ["lithium"]),
        ]
        // Each EUR row rounds up by 0.005: the totals must be the sum of the rounded rows, not the rounded sum.
        let f = Self.loan(obligated: 5, disbursed: 5, principal: 5)
        let report = try ExposureReport.build(
            month: Self.november, knownAt: nil,
            books: Self.books(facilities, october: [:], november: ["A": f, "B": f, "C": Self.loan(obligated: 100, disbursed: 0, principal: 0)], eur: [Self.rate("1.1", "2026-11-01")]))
        #expect(report.facilities.map(\.amounts.exposure.plain) == ["0.06", "0.06", "1.00"], "0.055 rounds half away from zero")
        #expect(report.totals.exposure.plain == "1.12")
        for (dimension, groups) in report.groups {
            #expect(groups.reduce(USD.zero) { $0 + $1.exposure } == report.totals.exposure, "\(dimension)")
        }
        #expect(report.groups["country"]?.map(\.key) == ["US", "DE"] && report.groups["country"]?.map(\.share) == ["0.8929", "0.1071"])
        for (name, value) in report.totals.columns {
            #expect(report.facilities.reduce(USD.zero) { $0 + ($1.amounts.columns.first { $0.name == name }!.value) } == value, "\(name)")
        }
    }

    @Test func aMissingRateIsRefusedWithTheCurrencyAndDate() throws {
        let books = Self.books(
            [Self.facility("EU-1", .directLoan, "EUR")], october: [:], november: ["EU-1": Self.loan(obligated: 1, disbursed: 0, principal: 0)],
            eur: [Self.rate("1.1", "2026-12-01")])
        #expect(throws: LedgerError.missingFXRate(currency: "EUR", date: CivilDate(iso: "2026-11-30")!, facilityID: "EU-1")) {
            try ExposureReport.build(month: Self.november, knownAt: nil, books: books)
        }
        let message = LedgerError.missingFXRate(currency: "EUR", date: CivilDate(iso: "2026-11-30")!, facilityID: "EU-1").description
        #expect(message.contains("no EUR FX rate on or before 2026-11-30"))
    }

    @Test func abnormalBalancesAreFlagged() throws {
        var p = FacilityPosition()
        p.obligated = 100
        p.disbursed = 150
        p.principal = -1
        p.guaranteeOutstanding = -2
        let report = try ExposureReport.build(
            month: Self.november, knownAt: nil,
            books: Self.books([Self.facility("X", .directLoan, "USD")], october: [:], november: ["X": FacilityFigures(position: p)], eur: []))
        #expect(report.facilities[0].flags == ["outstanding principal below zero", "guarantees outstanding below zero", "disbursed above net obligation"])
        #expect(report.renderText().contains("! Flags (abnormal balances"))
    }

    @Test func itsJSONKeysAreTheOnesConversionWouldWrite() throws {
        // Every part of the report: a known-at time, the trend, a certification pending, groups
        // and limits, a facility's flags. Its keys are written as spelled (SnakeCaseKeys); the
        // bytes must be those of converting every key, as the other reports' are.
        let loan = Self.facility("US-1", .directLoan, "USD")
        var p = FacilityPosition()
        p.obligated = 100
        p.disbursed = 150
        var books = Self.books(
            [loan], october: ["US-1": Self.loan(obligated: 100_00, disbursed: 0, principal: 0)], november: ["US-1": FacilityFigures(position: p)], eur: [])
        books.pending = [PendingDisbursement(proposalID: "P-1", facilityID: "US-1", eventID: "d-1", type: "disburse", date: Self.november.lastDay, amount: 25_00)]
        let report = try ExposureReport.build(month: Self.november, knownAt: Instant(rfc3339: "2026-12-01T09:00:00Z")!, books: books, trendMonths: 12)
        #expect(report.knownAt != nil && report.trend != nil && report.pendingCertification?.count == 1 && !report.facilities[0].flags.isEmpty)
        let written = try JSONOutput.render(report)
        #expect(written == (try JSONOutput.render(report, convertingKeys: true)))
        #expect(written.contains("\"disbursed_in_month\" : ") && written.contains("\"amount_usd\" : ") && written.contains("\"known_at\" : "))
    }

    @Test func fiscalPeriods() {
        #expect(ExposureReport.fiscalPeriod(YearMonth(year: 2026, month: 10)!) == "FY2027 P01")
        #expect(ExposureReport.fiscalPeriod(YearMonth(year: 2026, month: 9)!) == "FY2026 P12")
        #expect(ExposureReport.fiscalPeriod(YearMonth(year: 2027, month: 1)!) == "FY2027 P04")
    }

    @Test func amountsForPeopleHaveThousandsSeparators() {
        #expect(Grouping.grouped("37500000.00") == "37,500,000.00" && Grouping.grouped("-1234.50") == "-1,234.50")
        #expect(Grouping.grouped("999.00") == "999.00" && Grouping.grouped("-100000.00") == "-100,000.00" && Grouping.grouped("0.00") == "0.00")
    }

    @Test func theHTMLEscapesHostileTextAndCarriesItsCharts() throws {
        let hostile = Self.facility("H-1", .directLoan, "USD", name: "<script>alert(1)</script> & \"Co\"")
        let report = try ExposureReport.build(
            month: Self.november, knownAt: nil,
            books: Self.books([hostile], october: [:], november: ["H-1": Self.loan(obligated: 100_00, disbursed: 50_00, principal: 50_00)], eur: []),
            trendMonths: 12)
        let html = try report.renderHTML()
        #expect(!html.contains("<script"), "no script at all, and the name is text")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"))
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing fetched")
        for title in ["Exposure by mineral", "Exposure by country", "Exposure by instrument", "Total exposure, last 12 month ends", "Maximum contingent liability"] {
            #expect(html.contains("<title id=") && html.contains(title), "\(title)")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == 5, "three roll-ups, the trend, the MCL gauge")
        #expect(html.contains("@page { size: landscape") && html.contains("thead { display: table-header-group; }"))
        #expect(report.trend?.count == 12 && report.trend?.last?.month == "2026-11" && report.trend?.first?.month == "2025-12")
    }
}
