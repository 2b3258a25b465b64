import ArgumentParser
import Dates
import Foundation
import Ledger
import LedgerStore
import Reports

/// What a writing command prints with `--format json`: `{"entries": [{"entry_id", "event_id", "status"}]}`;
/// a write awaiting certification is `"status": "proposed"` with `entry_id` null and its
/// `proposal_id` (DESIGN.md §5).
struct WrittenEntries: Encodable {
    struct Item: Encodable {
        var entryId: Int64?
        var eventId: String
        var status: String
        var proposalId: String? = nil

        enum CodingKeys: String, CodingKey { case entryId = "entry_id", eventId = "event_id", status, proposalId = "proposal_id" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(entryId, forKey: .entryId)
            try c.encode(eventId, forKey: .eventId)
            try c.encode(status, forKey: .status)
            if let proposalId { try c.encode(proposalId, forKey: .proposalId) }
        }
    }
    /// The results themselves, not a copy: an import of a million events prints from them.
    let results: [PostResult]

    init(_ results: [PostResult]) { self.results = results }

    /// Warning limits the postings took over their cap: printed on stderr.
    var warnings: [(eventKey: String, message: String)] { results.flatMap { r in r.warnings.map { (r.eventKey, $0) } } }

    enum CodingKeys: String, CodingKey { case entries }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(
            results.map { Item(entryId: $0.status == .proposed ? nil : $0.entryID, eventId: $0.eventKey, status: $0.status.rawValue, proposalId: $0.proposalID) },
            forKey: .entries)
    }

    func printWarnings() {
        for w in warnings { FileHandle.standardError.write(Data("dfc-ledger: warning: event \(w.eventKey): \(w.message)\n".utf8)) }
    }

    func print(format: OutputFormat) throws {
        printWarnings()
        switch format {
        case .json: Swift.print(try JSONOutput.render(self), terminator: "")
        case .csv:
            var table = TextTable(columns: [.init("entry_id"), .init("event_id"), .init("status"), .init("proposal_id")])
            for r in results {
                table.append([r.status == .proposed ? "" : String(r.entryID), r.eventKey, r.status.rawValue, r.proposalID ?? ""])
            }
            Swift.print(table.renderCSV(), terminator: "")
        case .table, .html:
            for r in results {
                switch r.status {
                case .proposed: Swift.print("proposed \(r.proposalID ?? "") awaiting certification (event \(r.eventKey))")
                case .created: Swift.print("posted entry \(r.entryID) for event \(r.eventKey)")
                default: Swift.print("already posted entry \(r.entryID) for event \(r.eventKey)")
                }
            }
        }
    }
}

/// A write that posts no journal entry (facilities, rate resets, FX rates, limits, periods,
/// migrations), as JSON: the contract's `entries`, empty, beside what it did (DESIGN.md §5).
struct NothingPosted<Detail: Encodable>: Encodable {
    var detail: Detail
    init(_ detail: Detail) { self.detail = detail }

    enum CodingKeys: String, CodingKey { case entries }

    func encode(to encoder: any Encoder) throws {
        try detail.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([WrittenEntries.Item](), forKey: .entries)
    }

    /// Prints `{"entries": [], …}` with --format json, else `line`.
    static func print(_ detail: Detail, format: OutputFormat, line: String) throws {
        if format == .json { Swift.print(try JSONOutput.render(NothingPosted(detail)), terminator: "") } else { Swift.print(line) }
    }
}

struct Post: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post a manual balanced entry (an adjustment) from a JSON file.",
        discussion: """
            ENTRY.json, for example:
              {"event_id": "adj-2026-11-001", "date": "2026-11-30",
               "description": "Treasury account fee, November",
               "lines": [
                 {"account": "610000", "fund": "FIN-DL", "side": "debit",
                  "amount": "25.00", "currency": "USD"},
                 {"account": "101000", "fund": "FIN-DL", "side": "credit",
                  "amount": "25.00", "currency": "USD"}]}

            A line may name its "facility" (e.g. DPA-2026-0007). Amounts are strings with at most the \
            currency's digits. The event_id is the idempotency key: posting the same file again changes \
            nothing; different content under the same id is refused.
            """)

    @Argument(help: "The entry file.") var file: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: TableFormatOption

    func run() throws {
        let data: Data
        do {
            // Read one byte past the limit so that EntryFile can refuse an oversized file by its size.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
            defer { try? handle.close() }
            data = try handle.read(upToCount: EntryFile.bytesMax + 1) ?? Data()
        } catch {
            throw InputError(file: file, field: "file", value: file, reason: "cannot be read")
        }
        let entry = try EntryFile.parse(data, file: file)
        let store = try database.store()
        let result: PostResult
        do { result = try store.post(entry) } catch let error as LedgerError { throw LocatedError(file: file, location: "", underlying: error) }
        store.sealAfterWrite()
        try WrittenEntries([result]).print(format: output.format)
    }
}

struct Reverse: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reverse every line of an entry, effective on a date no earlier than the original's.")

    @Argument(help: "The id of the entry to reverse.") var entryID: Int64
    @Option(help: "Effective date of the reversal (YYYY-MM-DD).") var effective: String
    @Option(help: "Why the entry is reversed (recorded in the reversal's description).") var reason: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: TableFormatOption

    func validate() throws {
        guard CivilDate(iso: effective) != nil else { throw ValidationError("--effective \"\(effective)\" is not a date in YYYY-MM-DD form") }
    }

    func run() throws {
        let store = try database.store()
        let result = try store.reverse(entryID: entryID, effectiveDate: CivilDate(iso: effective)!, reason: reason)
        store.sealAfterWrite()
        try WrittenEntries([result]).print(format: output.format)
    }
}

struct Period: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Close, reopen and list accounting periods (months).", subcommands: [Close.self, Reopen.self, List.self])

    struct MonthArgument: ParsableArguments {
        @Argument(help: "The month, YYYY-MM.") var month: String
        func validate() throws {
            guard YearMonth(month) != nil else { throw ValidationError("\"\(month)\" is not a month in YYYY-MM form") }
        }
        var value: YearMonth { YearMonth(month)! }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a month: no entry dated inside it is accepted until it is reopened.")
        @OptionGroup var month: MonthArgument
        @Option(help: "An optional note recorded with the close.") var reason: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let store = try database.store()
            try store.closePeriod(month.value, reason: reason)
            // The chain's head right after the close: worth keeping outside the database.
            let head = try store.sealCommitted().head
            try NothingPosted.print(
                ["month": month.value.description, "state": "closed", "chain_head": head?.description], format: output.format,
                line: "closed \(month.value); audit chain head \(head?.description ?? "(nothing sealed yet)")")
        }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen a closed month; the reason is recorded with who and when.")
        @OptionGroup var month: MonthArgument
        @Option(help: "Why the month is reopened (required).") var reason: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            if let proposal = try database.store().reopenPeriod(month.value, reason: reason) {
                try NothingPosted.print(
                    ["month": month.value.description, "state": "closed", "status": "proposed", "proposal_id": proposal], format: output.format,
                    line: "proposed \(proposal) awaiting certification (reopen \(month.value))")
            } else {
                try NothingPosted.print(["month": month.value.description, "state": "open"], format: output.format, line: "reopened \(month.value)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every month ever closed, with its state and latest change.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let periods = try database.store().periods()
            var table = TextTable(columns: [.init("month"), .init("state"), .init("recorded_at"), .init("recorded_by"), .init("reason")])
            for p in periods {
                table.append([p.month.description, p.isClosed ? "closed" : "open", p.recordedAt.description, p.recordedBy, p.reason ?? ""])
            }
            switch output.format {
            case .json:
                struct Item: Encodable { var month, state, recordedAt, recordedBy: String; var reason: String? }
                let items = periods.map {
                    Item(month: $0.month.description, state: $0.isClosed ? "closed" : "open", recordedAt: $0.recordedAt.description, recordedBy: $0.recordedBy, reason: $0.reason)
                }
                print(try JSONOutput.render(["periods": items]), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html: print(table.renderText(), terminator: "")
            }
        }
    }
}
