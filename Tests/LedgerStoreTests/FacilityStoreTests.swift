import Ledger
import LedgerStore
import Postgres
import Testing

@Suite struct FacilityStoreTests {
    func sample(_ changes: [String: String] = [:], minerals: [String: [String]]) throws -> Facility {
        let fields: [String: String] = [
            "facility_id": "DPA-2026-0007", "name": "Graphite processing", "counterparty": "Graphite One", "instrument": "direct-loan",
            "authority": "DPA-302", "executive_order": "EO 14241 (2025-03-20)", "country": "US", "state": "AK", "naics": "331410",
            "minerals": "graphite", "cohort_fy": "2026", "currency": "USD", "obligated": "37500000.00", "rate_index": "SOFR-3M", "spread": "2.5%",
            "day_count": "act-360", "frequency": "quarterly", "amortization": "level-payment", "first_payment": "2027-03-31",
            "maturity": "2036-12-31", "grace_months": "12", "shortfall": "Anode material",
        ]
        return try Facility.parse(fields.merging(changes) { $1 }, minerals: minerals, file: "f.csv", location: "row 2")
    }

    @Test func importIsReRunnableAndRecordsUpdates() throws {
        try withLedger { (store, _) throws in
            let minerals = try store.mineralLists()
            #expect(minerals["graphite"] == ["USGS-2022", "USGS-2025"] && minerals["gold"] == ["EO-14241"] && minerals.count == 61)
            let f = try sample(minerals: minerals)
            #expect(try store.importFacilities([("row 2", f)], file: "f.csv", update: false).map(\.status) == [.created])
            #expect(try store.facility(id: f.id) == f, "read back field for field")
            #expect(try store.importFacilities([("row 2", f)], file: "f.csv", update: false).map(\.status) == [.unchanged])

            let changed = try sample(["obligated": "40000000", "spread": "2.75%"], minerals: minerals)
            do {
                try store.importFacilities([("row 2", changed)], file: "f.csv", update: false)
                Issue.record("a changed row was accepted without --update")
            } catch let error as InputError {
                #expect(error.location == "row 2" && error.field == "obligated" && error.value == "40000000.00")
                #expect(error.reason.contains("already has \"37500000.00\""))
            }
            let updated = try store.importFacilities([("row 2", changed)], file: "f.csv", update: true)
            #expect(updated.first?.status == .updated && updated.first?.changedColumns == ["obligated", "spread"])
            let history = try store.facilityChanges(id: f.id)
            #expect(history.map { "\($0.field) \($0.oldValue) → \($0.newValue)" } == ["obligated_minor 3750000000 → 4000000000", "spread 0.025 → 0.0275"])
            #expect(history.allSatisfy { $0.changedBy == "postgres" })
        }
    }

    @Test func aBadRowLeavesNothingAndTheDatabaseChecksToo() throws {
        try withLedger { (store, _) throws in
            let minerals = try store.mineralLists()
            let a = try sample(["facility_id": "A-1"], minerals: minerals)
            #expect(throws: InputError.self) {
                try store.importFacilities([("row 2", a), ("row 3", a)], file: "f.csv", update: false)
            }
            #expect(try store.facilities().isEmpty, "all or nothing")
            // Raw SQL: an unknown mineral, terms on a grant, deleting a facility.
            try store.importFacilities([("row 2", a)], file: "f.csv", update: false)
            #expect(throws: PostgresError.self) { try store.connection.execute("UPDATE ledger.facility SET minerals = '{graphite,mithril}'") }
            #expect(throws: PostgresError.self) { try store.connection.execute("UPDATE ledger.facility SET instrument = 'grant'") }
            #expect(throws: PostgresError.self) { try store.connection.execute("DELETE FROM ledger.facility") }
            try store.connection.execute("UPDATE ledger.facility SET name = 'renamed'")
            #expect(try store.facilityChanges(id: "A-1").map(\.field) == ["name"], "a raw UPDATE is recorded too")
            #expect(throws: PostgresError.self) { try store.connection.execute("DELETE FROM ledger.facility_change") }
            #expect(throws: PostgresError.self) { try store.connection.execute("TRUNCATE ledger.facility_change") }
        }
    }

    @Test func rateResetsAreAppendOnly() throws {
        try withLedger { (store, _) throws in
            let r = RateReset(index: "SOFR-3M", date: D("2026-10-31"), rate: ExactDecimal("0.0412")!)
            #expect(try store.importRates([("row 2", r)], file: "r.csv") == 1)
            #expect(try store.importRates([("row 2", r)], file: "r.csv") == 0)
            var different = r
            different.rate = ExactDecimal("0.0413")!
            #expect(throws: InputError.self) { try store.importRates([("row 2", different)], file: "r.csv") }
            #expect(try store.rate(index: "SOFR-3M", on: D("2026-11-15")) == ExactDecimal("4.12%"))
            #expect(try store.rate(index: "SOFR-3M", on: D("2026-10-30")) == nil)
        }
    }
}
