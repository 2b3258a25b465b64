// Random mutations of valid input files (thousands of cases): the readers and field checks never
// crash, and every refusal is an InputError that names the file.
import Dates
import Foundation
import Ledger
import Testing

/// Deterministic mutations of a byte string: flips, deletions, duplications, and inserted
/// characters that break CSV and numbers (quotes, commas, line breaks, invalid UTF-8, signs).
struct Mutator {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(max(bound, 1)))
    }
    static let specials: [[UInt8]] = [[0x22], [0x2C], [0x0A], [0x0D, 0x0A], [0xFF], [0xC3], [0x2D], [0x2E], [0x3D], [0x00], Array("1e5".utf8), Array("9999999999999999999999".utf8), Array("2026-02-30".utf8), Array("%".utf8), Array("'; DROP TABLE x; --".utf8)]
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + next(4)) {
            guard !b.isEmpty else { break }
            let i = next(b.count)
            switch next(5) {
            case 0: b[i] = UInt8(next(256))
            case 1: b.remove(at: i)
            case 2: b.insert(contentsOf: b[i..<min(i + 1 + next(20), b.count)], at: i)
            default: b.insert(contentsOf: Self.specials[next(Self.specials.count)], at: i)
            }
        }
        return b
    }
}

@Suite struct FuzzTests {
    static let minerals: [String: [String]] = ["graphite": ["USGS-2022"], "gold": ["EO-14241"], "antimony": ["USGS-2022"]]

    static let facilities = """
        facility_id,name,counterparty,instrument,authority,executive_order,country,state,naics,minerals,cohort_fy,currency,obligated,rate,rate_index,spread,day_count,frequency,amortization,first_payment,maturity,grace_months,shortfall
        A-1,"Graphite, Alaska",Co,direct-loan,DPA-302,EO 14241 (2025-03-20),US,AK,331410,graphite;gold,2026,USD,37500000.00,6.125%,,,act-360,quarterly,level-payment,2027-03-31,2036-12-31,12,Anode
        A-2,Antimony,Co,direct-loan,DPA-302,EO 14241,US,ID,331410,antimony,2026,USD,22000000.00,,SOFR-3M,2.75%,30-360,monthly,bullet,2027-06-30,2033-06-30,0,Primers
        A-3,Grant,Co,grant,DPA-303,EO 13922,US,AZ,212230,gold,2027,JPY,5000000,,,,,,,,,,

        """

    static let events = """
        event_id,date,facility_id,fund,type,amount,currency,reference,memo
        E1,2026-10-01,,PRG,appropriation,10000000.00,USD,TAS 077,"FY27, program"
        E2,2026-10-05,A-1,,obligate,37500000.00,,LA-1,
        E3,2026-10-15,A-1,,disburse,10000000.00,,TRS-1,First tranche
        E4,2026-10-20,A-1,,write-off,,,,
        E5,2026-10-21,A-3,,disburse,12345,JPY,,

        """

    static func readFacilities(_ bytes: [UInt8]) throws(InputError) -> [Facility] {
        let table = try CSVTable(bytes, file: "f.csv", required: Facility.columns.filter { !Facility.optionalColumns.contains($0) }, optional: Facility.optionalColumns)
        var out: [Facility] = []
        for record in table.records {
            let fields = Dictionary(uniqueKeysWithValues: Facility.columns.map { ($0, table.value(record, $0)) })
            out.append(try Facility.parse(fields, minerals: Self.minerals, file: "f.csv", location: "row \(record.row)"))
        }
        return out
    }

    @Test func facilityFilesNeverCrashTheReader() throws {
        #expect(try Self.readFacilities(Array(Self.facilities.utf8)).count == 3, "the file before mutation is valid")
        var m = Mutator(state: 20_261_129)
        var accepted = 0, refused = 0
        for _ in 0..<3_000 {
            let bytes = m.mutate(Array(Self.facilities.utf8))
            do {
                _ = try Self.readFacilities(bytes)
                accepted += 1
            } catch {
                #expect(error.file == "f.csv" && !error.reason.isEmpty)
                refused += 1
            }
        }
        #expect(accepted + refused == 3_000 && refused > 1_000 && accepted > 0)
    }

    @Test func eventFilesNeverCrashTheReader() {
        var m = Mutator(state: 4_532)
        var refused = 0
        for _ in 0..<3_000 {
            let bytes = m.mutate(Array(Self.events.utf8))
            do {
                let table = try CSVTable(bytes, file: "e.csv", required: Event.columns.filter { !Event.optionalColumns.contains($0) }, optional: Event.optionalColumns)
                for record in table.records {
                    let fields = Dictionary(uniqueKeysWithValues: Event.columns.map { ($0, table.value(record, $0)) })
                    _ = try Event.parse(fields, currencyOf: { $0 == "A-3" ? Currency(code: "JPY") : .usd }, file: "e.csv", location: "row \(record.row)")
                }
            } catch {
                #expect(error.file == "e.csv" && !error.reason.isEmpty)
                refused += 1
            }
        }
        #expect(refused > 1_000)
    }

    @Test func entryFilesNeverCrashTheReader() {
        var m = Mutator(state: 9_621)
        let entry = #"{"event_id": "adj-1", "date": "2026-11-30", "description": "x", "lines": [{"account": "101000", "fund": "PRG", "facility": "A-1", "side": "debit", "amount": "1250.00", "currency": "USD"}, {"account": "310100", "fund": "PRG", "side": "credit", "amount": "1250", "currency": "USD"}]}"#
        for _ in 0..<3_000 {
            do { _ = try EntryFile.parse(Data(m.mutate(Array(entry.utf8))), file: "entry.json") } catch {
                #expect(error.file == "entry.json")
            }
        }
    }
}
