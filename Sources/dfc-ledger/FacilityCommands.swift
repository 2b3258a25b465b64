import ArgumentParser
import Dates
import Foundation
import Ledger
import LedgerStore
import Reports

extension LedgerStore {
    /// The facility an option names; a usage error (exit 64) when there is none.
    func requireFacility(_ id: String) throws -> Facility {
        guard let facility = try facility(id: id) else { throw UsageError("no facility has id \(id) (see dfc-ledger facility list)") }
        return facility
    }
}

/// Reads an input file whole, refusing one over `limit` bytes (so a wrong file cannot exhaust memory).
func readInputFile(_ path: String, limit: Int) throws -> [UInt8] {
    let data: Data
    do {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        data = try handle.read(upToCount: limit + 1) ?? Data()
    } catch {
        throw InputError(file: path, field: "file", value: path, reason: "cannot be read")
    }
    guard data.count <= limit else { throw InputError(file: path, field: "file", value: "\(data.count)+ bytes", reason: "is larger than \(limit) bytes") }
    return [UInt8](data)
}

/// How many rows an import of reference data (rate resets, FX rates) added.
struct ImportCount: Encodable {
    var file: String
    var imported: Int
    var alreadyPresent: Int
}

/// What importing facilities printed: a line each, or `{"entries": [], "facilities": [{"facility_id", "status", "changed"}]}`.
func printFacilityResults(_ results: [FacilityImportResult], file: String, format: OutputFormat) throws {
    struct Item: Encodable {
        var facilityId: String
        var status: String
        var changed: [String]
    }
    switch format {
    case .json:
        print(try JSONOutput.render(NothingPosted(["facilities": results.map { Item(facilityId: $0.facilityID, status: $0.status.rawValue, changed: $0.changedColumns) }])), terminator: "")
    case .csv:
        var table = TextTable(columns: [.init("facility_id"), .init("status"), .init("changed")])
        for r in results { table.append([r.facilityID, r.status.rawValue, r.changedColumns.joined(separator: ";")]) }
        print(table.renderCSV(), terminator: "")
    case .table, .html:
        for r in results where r.status != .unchanged {
            print("\(r.status.rawValue) facility \(r.facilityID)\(r.changedColumns.isEmpty ? "" : " (\(r.changedColumns.joined(separator: ", ")))")")
        }
        let count = { (s: FacilityImportResult.Status) in results.count { $0.status == s } }
        print("\(file): \(count(.created)) created, \(count(.updated)) updated, \(count(.unchanged)) unchanged")
    }
}

struct FacilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facility", abstract: "Financing facilities: add one, list them, show one, print its schedule.",
        subcommands: [Add.self, List.self, Show.self, ScheduleCommand.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a facility (the same fields and rules as a row of the facilities CSV).",
            discussion: """
                Adding the same facility again changes nothing; different fields are refused unless --update, \
                and then every changed field is recorded with who and when. Adding posts nothing: obligations \
                come from obligate events.
                """)
        @Option(name: .customLong("id"), help: "facility_id, e.g. DPA-2026-0007.") var facilityID: String
        @Option var name: String
        @Option var counterparty: String
        @Option(help: "direct-loan, loan-guarantee, equity, purchase-commitment or grant.") var instrument: String
        @Option(help: "DPA-301, DPA-302, DPA-303 or BUILD-9621.") var authority: String
        @Option(help: "e.g. \"EO 14241 (2025-03-20)\".") var executiveOrder: String
        @Option(help: "ISO 3166-1 alpha-2.") var country: String
        @Option(help: "USPS code, for a US facility.") var state: String = ""
        @Option var naics: String
        @Option(help: "';'-separated, the primary first.") var minerals: String
        @Option var cohortFy: String
        @Option var currency: String
        @Option var obligated: String
        @Option(help: "Fixed annual rate, e.g. 5.25%.") var rate: String = ""
        @Option var rateIndex: String = ""
        @Option var spread: String = ""
        @Option var dayCount: String = ""
        @Option var frequency: String = ""
        @Option var amortization: String = ""
        @Option var firstPayment: String = ""
        @Option var maturity: String = ""
        @Option var graceMonths: String = ""
        @Option var shortfall: String = ""
        @Flag(help: "Change an existing facility's fields (recorded).") var update = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let fields = [
                "facility_id": facilityID, "name": name, "counterparty": counterparty, "instrument": instrument, "authority": authority,
                "executive_order": executiveOrder, "country": country, "state": state, "naics": naics, "minerals": minerals,
                "cohort_fy": cohortFy, "currency": currency, "obligated": obligated, "rate": rate, "rate_index": rateIndex, "spread": spread,
                "day_count": dayCount, "frequency": frequency, "amortization": amortization, "first_payment": firstPayment,
                "maturity": maturity, "grace_months": graceMonths, "shortfall": shortfall,
            ]
            let store = try database.store()
            let facility = try Facility.parse(fields, minerals: try store.mineralLists(), file: "facility add", location: "")
            let results = try store.importFacilities([("", facility)], file: "facility add", update: update)
            try printFacilityResults(results, file: "facility add", format: output.format)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every facility, with its instrument, authority, place, primary mineral and amount.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let store = try database.store()
            let facilities = try store.facilities()
            switch output.format {
            case .json:
                let lists = try store.mineralLists()
                print(try JSONOutput.render(["facilities": facilities.map { FacilityView($0, mineralLists: lists) }]), terminator: "")
            case .csv: print(FacilityView.list(facilities).renderCSV(), terminator: "")
            case .table, .html:
                print(FacilityView.list(facilities).renderText(), terminator: "")
                if facilities.isEmpty { print("(no facilities: add one with dfc-ledger facility add, or dfc-ledger import facilities FILE.csv)") }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One facility: every field, its minerals' lists, and every recorded change.")
        @Argument(help: "The facility id.") var id: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let store = try database.store()
            let facility = try store.requireFacility(id)
            let view = FacilityView(facility, mineralLists: try store.mineralLists())
            let changes = try store.facilityChanges(id: id)
            var history = TextTable(columns: [.init("changed_at"), .init("changed_by"), .init("field"), .init("old"), .init("new")])
            for c in changes { history.append([c.changedAt.description, c.changedBy, c.field, c.oldValue, c.newValue]) }
            switch output.format {
            case .json:
                struct Shown: Encodable {
                    var facility: FacilityView
                    var changes: [[String: String]]
                }
                let changeItems = changes.map { ["changed_at": $0.changedAt.description, "changed_by": $0.changedBy, "field": $0.field, "old": $0.oldValue, "new": $0.newValue] }
                print(try JSONOutput.render(Shown(facility: view, changes: changeItems)), terminator: "")
            case .csv: print(view.table.renderCSV(), terminator: "")
            case .table, .html:
                print(view.table.renderText(), terminator: "")
                print()
                if changes.isEmpty { print("No changes since it was added.") } else { print("Changes:\n" + history.renderText(), terminator: "") }
            }
        }
    }

    struct ScheduleCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule", abstract: "The repayment schedule of a direct loan on its obligated amount (DESIGN.md §4).")
        @Argument(help: "The facility id.") var id: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let store = try database.store()
            let facility = try store.requireFacility(id)
            let (schedule, annual, terms) = try store.schedule(of: facility)
            let view = ScheduleView(facilityID: id, schedule: schedule, currency: facility.currency)
            switch output.format {
            case .json: print(try JSONOutput.render(view), terminator: "")
            case .csv: print(view.table.renderCSV(), terminator: "")
            case .table, .html:
                print("Schedule of \(id) on \(facility.obligated) at \(Facility.percent(annual)) (\(terms.amortization.rawValue), \(terms.frequency.rawValue))")
                if let p = view.payment { print("Level payment: \(p) \(facility.currency.code)") }
                print()
                print(view.table.renderText(), terminator: "")
            }
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a CSV file of facilities, events, rate resets or FX rates (each all or nothing, re-runnable).",
        subcommands: [Facilities.self, Events.self, Rates.self, FXRates.self])

    struct Facilities: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import facilities from CSV, all or nothing; re-runnable.",
            discussion: """
                Columns (header row required, any order): \(Facility.columns.joined(separator: ", ")). \
                Terms columns are blank for instruments without interest. An identical row changes nothing; a \
                changed row is refused unless --update, and then each change is recorded. Any bad row stops \
                the whole file, naming the row, column and value; nothing is written.
                """)
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Apply changed rows (each change is recorded).") var update = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let table = try CSVTable(
                try readInputFile(file, limit: 64 << 20), file: file,
                required: Facility.columns.filter { !Facility.optionalColumns.contains($0) }, optional: Facility.optionalColumns)
            let store = try database.store()
            let minerals = try store.mineralLists()
            var rows: [(location: String, facility: Facility)] = []
            for record in table.records {
                let fields = Dictionary(uniqueKeysWithValues: Facility.columns.map { ($0, table.value(record, $0)) })
                rows.append(("row \(record.row)", try Facility.parse(fields, minerals: minerals, file: file, location: "row \(record.row)")))
            }
            let results = try store.importFacilities(rows, file: file, update: update)
            try printFacilityResults(results, file: file, format: output.format)
        }
    }

    struct Rates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import floating-rate index resets from CSV (index, date, rate), all or nothing.",
            discussion: "A rate is a decimal or a percentage (4.3%). Re-importing a reset changes nothing; a different rate for the same index and date is refused.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let table = try CSVTable(try readInputFile(file, limit: 64 << 20), file: file, required: ["index", "date", "rate"])
            var rows: [(location: String, reset: RateReset)] = []
            for record in table.records {
                let location = "row \(record.row)"
                func fail(_ column: String, _ reason: String) -> InputError {
                    InputError(file: file, location: location, field: column, value: table.value(record, column), reason: reason)
                }
                let index = table.value(record, "index").trimmingSpaces
                guard !index.isEmpty, index.count <= 40, index.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw fail("index", "an index name is up to 40 letters, digits, '-', '_' or '.' (e.g. SOFR-3M)")
                }
                guard let date = CivilDate(iso: table.value(record, "date").trimmingSpaces) else { throw fail("date", "not a date in YYYY-MM-DD form") }
                guard let rate = ExactDecimal(table.value(record, "rate").trimmingSpaces), rate.scale <= 10,
                    rate > ExactDecimal(significand: -1, scale: 0), rate < ExactDecimal(significand: 1, scale: 0)
                else { throw fail("rate", "not a rate between -100% and 100% such as 4.3% or 0.043 (at most 10 decimal places)") }
                rows.append((location, RateReset(index: index, date: date, rate: rate)))
            }
            let created = try database.store().importRates(rows, file: file)
            try NothingPosted.print(
                ImportCount(file: file, imported: created, alreadyPresent: rows.count - created), format: output.format,
                line: "\(file): \(created) rate resets imported, \(rows.count - created) already present")
        }
    }
}
