import ArgumentParser
import Dates
import Foundation
import Ledger
import LedgerStore
import Reports

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The posting rules: the lines each event posts (data in ledger.posting_rule).", subcommands: [List.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every posting rule, by event type and instrument.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let store = try database.store()
            let titles = Dictionary(uniqueKeysWithValues: try store.accounts().map { ($0.number, $0) })
            let rules = try store.postingRules()
            var table = TextTable(columns: [
                .init("event"), .init("instrument"), .init("funds"), .init("line", .right), .init("side"), .init("account"), .init("title"), .init("set"), .init("amount"),
            ])
            for r in rules {
                table.append([
                    r.eventType.rawValue, r.instrument?.rawValue ?? "(fund level)", r.funds, String(r.lineNo), r.side.rawValue, r.account,
                    titles[r.account]?.title ?? "", titles[r.account]?.set.rawValue ?? "", r.component,
                ])
            }
            switch output.format {
            case .json:
                struct Item: Encodable { var event, instrument, funds: String; var line: Int; var side, account, amount: String }
                print(try JSONOutput.render(["rules": rules.map {
                    Item(event: $0.eventType.rawValue, instrument: $0.instrument?.rawValue ?? "", funds: $0.funds, line: $0.lineNo, side: $0.side.rawValue, account: $0.account, amount: $0.component)
                }]), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html: print(table.renderText(), terminator: "")
            }
        }
    }
}

extension Import {
    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import events from CSV, all or nothing, each posted by its posting rules.",
            discussion: """
                Columns: event_id, date, facility_id, fund, type, amount, currency, reference, memo. Events are \
                applied in (date, file order); each event_id is its idempotency key, so the file can be imported \
                again. Any refused event (a bad field, a business rule) stops the whole file, naming its row; \
                nothing is written. Progress goes to stderr for files over 1,000 events.
                """)
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        /// From how many events a file is summarized apart from its sealing.
        static let summarizeApart = 10_000

        func run() throws {
            let bytes = try readInputFile(file, limit: 1 << 30)
            let store = try database.store()
            let currencies = Dictionary(uniqueKeysWithValues: try store.facilities().map { ($0.id, $0.currency) })
            // Every row checked now; the events themselves are read again from the bytes as they
            // are recorded, so memory follows the file's size, not the number of events. Their
            // keys (ids, facilities, funds) go to the store, which lets them go once it has used them.
            let (events, keys) = try EventFile.read(bytes, file: file, currencies: currencies)
            let total = events.count
            let results = try store.record(ordered: events, keys: consume keys, file: file) { done in
                if total > 1000 && (done % 1000 == 0 || done == total) {
                    FileHandle.standardError.write(Data("import events: \(done) of \(total)\n".utf8))
                }
            }
            // A large file's summarizing runs on a connection of its own while this one seals: the
            // two are independent, and on two cores the import then waits for the longer of them,
            // not their sum (300,000 events: sealing ~4 s, summarizing ~3.4 s).
            let summarizing = DispatchGroup()
            if results.count >= Self.summarizeApart {
                DispatchQueue.global().async(group: summarizing) { [database] in database.summarizeAfterWrite() }
            }
            store.sealAfterWrite()
            summarizing.wait()
            switch output.format {
            case .json, .csv: try WrittenEntries(results).print(format: output.format)
            case .table, .html:
                let written = WrittenEntries(results)
                written.printWarnings()
                let created = results.count { $0.status == .created }
                if let proposal = results.first(where: { $0.status == .proposed })?.proposalID {
                    let proposed = results.count { $0.status == .proposed }
                    print("\(file): proposed \(proposal) awaiting certification: \(proposed) events, posted whole when a second officer approves it (\(results.count - proposed) already posted)")
                } else {
                    print("\(file): \(created) events posted, \(results.count - created) already posted")
                }
            }
        }
    }
}

/// The options of a one-event command.
struct EventOptions: ParsableArguments {
    @Option(help: "The event id: the idempotency key (running the same command again posts nothing).") var eventId: String
    @Option(help: "Effective date, YYYY-MM-DD (default: today, UTC).") var date: String?
    @Option(help: "The facility.") var facility: String
    @Option(help: "The amount, a decimal string in the facility's currency.") var amount: String?
    @Option(help: "A bank or Treasury reference, used to reconcile.") var reference: String = ""
    @Option var memo: String = ""
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: TableFormatOption

    func record(_ type: EventType) throws {
        let store = try database.store()
        let facility = try store.requireFacility(facility)
        let fields = [
            "event_id": eventId, "date": date ?? CivilDate.todayUTC().description, "facility_id": facility.id, "type": type.rawValue,
            "amount": amount ?? "", "reference": reference, "memo": memo,
        ]
        let event = try Event.parse(fields, currencyOf: { _ in facility.currency }, file: type.rawValue, location: "")
        let result = try store.record(event)
        store.sealAfterWrite()
        try WrittenEntries([result]).print(format: output.format)
    }
}

/// One command per common event, for an officer recording one transaction.
struct Obligate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Obligate an amount to a facility (checked against the fund's available allotment).")
    @OptionGroup var options: EventOptions
    func run() throws { try options.record(.obligate) }
}

struct Deobligate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Deobligate part of a facility's undisbursed obligation.")
    @OptionGroup var options: EventOptions
    func run() throws { try options.record(.deobligate) }
}

struct Disburse: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Disburse a loan or grant (never more than the undisbursed obligation).")
    @OptionGroup var options: EventOptions
    func run() throws { try options.record(.disburse) }
}

struct Repay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a repayment, split by the waterfall: accrued interest first, then principal.")
    @OptionGroup var options: EventOptions
    func run() throws { try options.record(.repay) }
}

struct Accrue: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accrue a loan's interest up to a date (a catch-up before a mid-month payment); the ledger computes it.")
    @OptionGroup var options: EventOptions
    func run() throws { try options.record(.accrue) }
}

struct WriteOff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-off", abstract: "Write off principal (an amount), or, without --amount, all principal and accrued interest.")
    @OptionGroup var options: EventOptions
    func run() throws { try options.record(.writeOff) }
}

struct RecordEvent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event", abstract: "Record any facility event by its type (e.g. equity-call, guarantee-issue, purchase).")
    @Argument(help: "The event type.") var type: String
    @OptionGroup var options: EventOptions

    func validate() throws {
        guard let t = EventType(rawValue: type) else {
            throw ValidationError("\"\(type)\" is not an event type (\(EventType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if t.isFundLevel { throw ValidationError("\(type) is a fund-level event: record it with import events (facility_id blank, fund and currency given)") }
    }

    func run() throws { try options.record(EventType(rawValue: type)!) }
}

struct MonthEnd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "month-end", abstract: "Accrue interest on every direct loan for a month (idempotent; a closed month is refused).")
    @OptionGroup var month: Period.MonthArgument
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: TableFormatOption

    func run() throws {
        let store = try database.store()
        let month = self.month.value
        let results = try store.monthEnd(month)
        store.sealAfterWrite()
        var table = TextTable(columns: [.init("facility_id"), .init("status"), .init("entry_id", .right), .init("from"), .init("to"), .init("interest", .right), .init("currency")])
        for r in results {
            table.append([
                r.facilityID, r.status.rawValue, r.entryID.map(String.init) ?? "", r.from?.description ?? "", r.to?.description ?? "",
                r.amount?.formatted ?? "", r.amount?.currency.code ?? "",
            ])
        }
        switch output.format {
        case .json:
            struct Item: Encodable { var facilityId, status: String; var entryId: Int64?; var from, to, interest, currency: String? }
            let items = results.map {
                Item(facilityId: $0.facilityID, status: $0.status.rawValue, entryId: $0.entryID, from: $0.from?.description, to: $0.to?.description, interest: $0.amount?.formatted, currency: $0.amount?.currency.code)
            }
            // `entries` as every write command prints them (DESIGN.md §5), keyed by the accrual's
            // event key; `accruals` beside it with the period and amount of each.
            let entries = results.compactMap { r in
                r.status == .nothing
                    ? nil
                    : WrittenEntries.Item(
                        entryId: r.entryID, eventId: Accrual.eventKey(facility: r.facilityID, month: month), status: r.status.rawValue, proposalId: r.proposalID)
            }
            struct Output: Encodable { var month: String; var entries: [WrittenEntries.Item]; var accruals: [Item] }
            print(try JSONOutput.render(Output(month: month.description, entries: entries, accruals: items)), terminator: "")
        case .csv: print(table.renderCSV(), terminator: "")
        case .table, .html:
            print("Month-end \(month): interest accrued up to \(month.next.firstDay) (exclusive), dated \(month.lastDay)")
            print()
            print(table.renderText(), terminator: "")
            let created = results.count { $0.status == .created }
            if let proposal = results.first(where: { $0.status == .proposed })?.proposalID {
                print("proposed \(proposal) awaiting certification: \(results.count { $0.status == .proposed }) accruals, posted when a second officer approves it")
            }
            print("\(created) accrual\(created == 1 ? "" : "s") posted, \(results.count { $0.status == .existing }) already posted, \(results.count { $0.status == .nothing }) with nothing to accrue")
        }
    }
}
