// Proves the input rules for facilities: a strict CSV reader and every field's check, each
// refusal naming the file, row, column and value.
import Dates
import Ledger
import Testing

@Suite struct CSVTableTests {
    func table(_ text: String, required: [String] = ["a", "b"], optional: [String] = []) throws(InputError) -> CSVTable {
        try CSVTable(Array(text.utf8), file: "f.csv", required: required, optional: optional)
    }

    @Test func readsQuotedFieldsCRLFAndABOM() throws {
        let t = try table("\u{FEFF}a,b\r\n\"x, \"\"y\"\"\",2\r\n\"multi\nline\",\n\n3,4")
        #expect(t.records.map(\.fields) == [["x, \"y\"", "2"], ["multi\nline", ""], ["3", "4"]])
        #expect(t.records.map(\.row) == [2, 3, 6], "rows are the lines records start on")
    }

    @Test func refusesWhatIsNotStrictCSV() {
        let cases: [(String, String)] = [
            ("a,b\n\"open,1\n", "the quoted field is never closed"),
            ("a,b\n\"x\"y,1\n", "text follows the closing quote"),
            ("a,b\nx\"y,1\n", "a quote inside an unquoted field"),
            ("a,b\n1,2,3\n", "the header has 2 columns"),
            ("a\n1\n", "the required column is missing"),
            ("a,b,c\n1,2,3\n", "not a column of this file"),
            ("a,b,a\n", "the column appears twice"),
            ("", "a header row is required"),
        ]
        for (text, reason) in cases {
            #expect(throws: InputError.self, "\(reason)") { try table(text) }
            do { _ = try table(text) } catch { #expect(error.reason.contains(reason), "\(error)") }
        }
    }
}

@Suite struct EventFileTests {
    /// Events come out by date, then file order, each read again from the bytes at its offset:
    /// rows with quoted line breaks and CRLF keep their own row numbers and fields.
    @Test func givesEventsInDateThenFileOrderReadAgainFromTheBytes() throws {
        let text = "\u{FEFF}event_id,date,facility_id,type,amount,memo\r\n"
            + "c,2026-10-03,L1,disburse,3.00,\"two\nlines\"\r\n"
            + "a,2026-10-01,L1,obligate,100.00,\r\n"
            + "\r\n"
            + "d,2026-10-03,L1,disburse,4.00,\"say \"\"hi\"\"\"\r\n"
            + "b,2026-10-02,L1,disburse,2.00,"
        let file = try EventFile(Array(text.utf8), file: "e.csv", currencies: ["L1": .usd])
        #expect(file.map(\.event.id) == ["a", "b", "c", "d"])
        #expect(file.map(\.location) == ["row 4", "row 7", "row 2", "row 6"])
        #expect(file.map(\.event.memo) == ["", "", "two\nlines", "say \"hi\""])
        #expect(file[3].event.amount == 400)
    }

    /// The keys gathered while the file is read are those of its events: every id, the ids that
    /// repeat, the facilities named, those accrued, and the fund and currency of the fund-level events.
    @Test func gathersTheKeysOfItsEventsAsItReadsThem() throws {
        let text = "event_id,date,facility_id,fund,type,amount,currency\n"
            + "f1,2026-10-01,,FIN-DL,allot,500.00,USD\n"
            + "a,2026-10-01,L1,,obligate,100.00,\n"
            + "b,2026-10-02,L2,,obligate,2.00,\n"
            + "a,2026-10-03,L1,,disburse,3.00,\n"
            + "i,2026-11-01,L2,,accrue,,\n"
        let (events, keys) = try EventFile.read(Array(text.utf8), file: "e.csv", currencies: ["L1": .usd, "L2": .usd])
        #expect(keys.ids == ["f1", "a", "b", "i"] && keys.repeated == ["a"])
        #expect(keys.facilityIDs == ["L1", "L2"] && keys.accruing == ["L2"] && keys.funds == ["FIN-DL|USD"])
        let again = EventKeys(events.map(\.event))
        #expect(
            again.ids == keys.ids && again.repeated == keys.repeated && again.facilityIDs == keys.facilityIDs && again.accruing == keys.accruing
                && again.funds == keys.funds)
    }

    @Test func aBadRowIsNamedWhenTheFileIsRead() {
        let text = "event_id,date,facility_id,type,amount\na,2026-10-01,L1,obligate,1.00\nb,2026-13-01,L1,disburse,1.00\n"
        #expect {
            _ = try EventFile(Array(text.utf8), file: "e.csv", currencies: ["L1": .usd])
        } throws: { ($0 as? InputError)?.description.contains("row 3") == true }
    }
}

@Suite struct FacilityParseTests {
    static let minerals: [String: [String]] = ["graphite": ["USGS-2022", "USGS-2025"], "gold": ["EO-14241"], "copper": ["USGS-2025"]]

    static let loan: [String: String] = [
        "facility_id": "DPA-2026-0007", "name": "Graphite processing, Alaska", "counterparty": "Graphite One", "instrument": "direct-loan",
        "authority": "DPA-302", "executive_order": "EO 14241 (2025-03-20)", "country": "US", "state": "AK", "naics": "331410",
        "minerals": "Graphite; gold", "cohort_fy": "2026", "currency": "USD", "obligated": "37500000.00", "rate": "6.125%",
        "day_count": "act-360", "frequency": "quarterly", "amortization": "level-payment", "first_payment": "2027-03-31",
        "maturity": "2036-12-31", "grace_months": "12", "shortfall": "Anode material",
    ]

    func parse(_ changes: [String: String]) throws(InputError) -> Facility {
        try Facility.parse(Self.loan.merging(changes) { $1 }, minerals: Self.minerals, file: "f.csv", location: "row 2")
    }

    @Test func parsesALoanAndWritesTheSameFieldsBack() throws {
        let f = try parse([:])
        #expect(f.minerals == ["graphite", "gold"] && f.obligated.minorUnits == 3_750_000_000)
        #expect(f.terms?.rate == .fixed(ExactDecimal("0.06125")!))
        #expect(try Facility.parse(f.fields, minerals: Self.minerals, file: "f", location: "") == f)
        #expect(f.fields["rate"] == "6.125%" && f.fields["minerals"] == "graphite;gold")
    }

    @Test func everyRuleNamesItsColumnAndValue() {
        let cases: [([String: String], String, String)] = [
            (["instrument": "bond"], "instrument", "must be one of direct-loan"),
            (["country": "XX"], "country", "ISO 3166-1 alpha-2"),
            (["state": ""], "state", "needs its state"),
            (["country": "AU"], "state", "only a US facility has a state"),
            (["naics": "33-1"], "naics", "2 to 6 digits"),
            (["minerals": "graphite;unobtainium"], "minerals", "\"unobtainium\" is on no critical-mineral list"),
            (["minerals": "gold;Gold"], "minerals", "listed twice"),
            (["currency": "XYZ"], "currency", "ISO 4217"),
            (["obligated": "12.345"], "obligated", "more than 2 fraction digits"),
            (["obligated": "0"], "obligated", "must be positive"),
            (["rate": "", "rate_index": ""], "rate", "either a fixed rate, or a rate_index and a spread"),
            (["rate_index": "SOFR"], "rate_index", "either a fixed rate"),
            (["rate": "150%"], "rate", "below 100%"),
            (["day_count": "act-365"], "day_count", "ambiguous"),
            (["maturity": "2020-01-01"], "maturity", "is before first_payment"),
            (["first_payment": "2027-02-30"], "first_payment", "not a date"),
            (["shortfall": ""], "shortfall", "DPA §302"),
            (["instrument": "grant"], "rate", "bears no interest"),
            (["facility_id": "-bad"], "facility_id", "a facility id is"),
            (["name": ""], "name", "is required"),
        ]
        for (change, column, reason) in cases {
            do {
                _ = try parse(change)
                Issue.record("accepted \(change)")
            } catch {
                #expect(error.field == column && error.reason.contains(reason) && error.location == "row 2" && error.file == "f.csv", "\(change): \(error)")
            }
        }
    }

    @Test func floatingRateAndATermlessGrant() throws {
        let floating = try parse(["rate": "", "rate_index": "SOFR-3M", "spread": "2.75%"])
        #expect(floating.terms?.rate == .floating(index: "SOFR-3M", spread: ExactDecimal("0.0275")!))
        let termless = ["rate", "day_count", "frequency", "amortization", "first_payment", "maturity", "grace_months"].map { ($0, "") }
        let grant = try parse(Dictionary(uniqueKeysWithValues: termless + [("instrument", "grant"), ("authority", "DPA-303"), ("shortfall", "")]))
        #expect(grant.terms == nil && grant.instrument.fund == "PRG")
    }
}
