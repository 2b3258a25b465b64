import ArgumentParser
import Dates
import Ledger
import LedgerStore
import Reports

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports, each as of an effective date and as known at a recorded time.", subcommands: [TrialBalance.self, Register.self, LimitsReport.self, Exposure.self, FacilityStatementCommand.self])

    /// `--as-of` and `--known-at`.
    struct TimeOptions: ParsableArguments {
        @Option(help: "Effective date, YYYY-MM-DD (default: today, UTC).") var asOf: String?
        @Option(help: "Show only what was recorded by this instant (RFC 3339, e.g. 2026-11-29T00:48:23Z).") var knownAt: String?

        func validate() throws {
            if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of \"\(asOf)\" is not a date in YYYY-MM-DD form") }
            if let knownAt, Instant(rfc3339: knownAt) == nil {
                throw ValidationError("--known-at \"\(knownAt)\" is not an RFC 3339 timestamp with a zone, e.g. 2026-11-29T00:48:23Z")
            }
        }

        var date: CivilDate {
            asOf.flatMap { CivilDate(iso: $0) } ?? CivilDate.todayUTC()
        }
        var instant: Instant? { knownAt.flatMap { Instant(rfc3339: $0) } }
    }

    struct TrialBalance: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trial-balance", abstract: "Balances per account, fund and currency, with totals per account set.")

        @OptionGroup var time: TimeOptions
        @Option(help: "Only this account set: proprietary, budgetary or memorandum.") var set: String?
        @Option(help: "Only this fund.") var fund: String?
        @Option(help: "How to print the report.") var format: OutputFormat = .table
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if let set, AccountSet(rawValue: set) == nil { throw ValidationError("--set \"\(set)\" is not proprietary, budgetary or memorandum") }
            if format == .html { throw ValidationError("--format html is not available for the trial balance yet; use table, csv or json") }
        }

        func run() throws {
            let store = try database.store()
            let report = try TrialBalanceReport(
                balances: try store.balances(asOf: time.date, knownAt: time.instant, fund: fund), accounts: try store.accounts(),
                asOf: time.date.description, knownAt: time.instant?.description, set: set.flatMap { AccountSet(rawValue: $0) })
            switch format {
            case .json: print(try JSONOutput.render(report), terminator: "")
            case .csv: print(report.table.renderCSV(), terminator: "")
            case .table, .html:
                print("Trial balance as of \(report.asOf)\(report.knownAt.map { ", as known at \($0)" } ?? "")")
                print()
                print(report.table.renderText(), terminator: "")
                if report.accounts.isEmpty { print("(no non-zero balances)") }
            }
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every line on one account, in date order, with a running balance per fund and currency.",
            discussion: """
                Starts with the balance before --from (an opening row per fund and currency) and ends \
                with the closing balance. Balances are debit − credit. --known-at shows the register \
                as it was at that instant. CSV is written as the lines arrive, so any length is fine.
                """)

        @Option(help: "The account number (6 digits).") var account: String
        @Option(help: "Only lines of this facility.") var facility: String?
        @Option(help: "Only lines of this fund.") var fund: String?
        @Option(help: "First effective date shown, YYYY-MM-DD (default: the account's first line).") var from: String?
        @Option(help: "Last effective date shown, YYYY-MM-DD (default: today, UTC).") var to: String?
        @Option(help: "Show only what was recorded by this instant (RFC 3339).") var knownAt: String?
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if let from, CivilDate(iso: from) == nil { throw ValidationError("--from \"\(from)\" is not a date in YYYY-MM-DD form") }
            if let to, CivilDate(iso: to) == nil { throw ValidationError("--to \"\(to)\" is not a date in YYYY-MM-DD form") }
            if let knownAt, Instant(rfc3339: knownAt) == nil {
                throw ValidationError("--known-at \"\(knownAt)\" is not an RFC 3339 timestamp with a zone, e.g. 2026-11-29T00:48:23Z")
            }
            if let facility, !Journal.isWellFormedFacilityID(facility) { throw ValidationError("--facility \"\(facility)\" is not a facility id") }
        }

        func run() throws {
            let store = try database.store()
            guard let title = try store.accounts().first(where: { $0.number == account })?.title else {
                throw UsageError("--account \(account) is not in the chart of accounts (see dfc-ledger accounts list)")
            }
            let start = from.flatMap { CivilDate(iso: $0) }
            let end = to.flatMap { CivilDate(iso: $0) } ?? CivilDate.todayUTC()
            let instant = knownAt.flatMap { Instant(rfc3339: $0) }
            if let start, start > end { throw UsageError("--from \(start) is after --to \(end)") }
            let opening = try start.map {
                try store.balances(asOf: $0.adding(days: -1), knownAt: instant, fund: fund, account: account, facility: facility)
            } ?? []
            var builder = try RegisterBuilder(opening: opening)
            var rows: [RegisterReport.Row] = []
            let csv = output.format == .csv
            if csv {
                var header = TextTable(columns: RegisterReport.columns)
                for b in builder.opening { header.append(RegisterReport.openingCells(b)) }
                print(header.renderCSV(), terminator: "")
            }
            try store.register(account: account, fund: fund, facility: facility, from: start, to: end, knownAt: instant) { line in
                let row = try builder.row(line)
                if csv {
                    print(TextTable.csvLine(RegisterReport.cells(row)), terminator: "")
                } else {
                    rows.append(row)
                }
            }
            if csv { return }
            let report = RegisterReport(
                account: account, title: title, from: start?.description, to: end.description, knownAt: instant?.description,
                opening: builder.opening, rows: rows, closing: try builder.closing)
            switch output.format {
            case .json: print(try JSONOutput.render(report), terminator: "")
            case .csv: break
            case .table, .html:
                let range = start.map { "\($0) to \(end)" } ?? "through \(end)"
                print("Register of \(account) \(title), \(range)\(report.knownAt.map { ", as known at \($0)" } ?? "")")
                if let fund { print("Fund \(fund)") }
                if let facility { print("Facility \(facility)") }
                print()
                print(report.table.renderText(), terminator: "")
                if rows.isEmpty { print("(no lines in this range)") }
            }
        }
    }
}

extension ExposureDimension: ExpressibleByArgument {}

extension YearMonth: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension Report {
    struct Exposure: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The monthly exposure report: every facility in USD at the month-end rate, roll-ups, totals and the limits.",
            discussion: """
                Amounts are converted at each currency's latest FX rate on or before the month's last day and rounded \
                half away from zero per facility and column; roll-ups and totals are sums of those rows. A non-USD \
                facility without a rate is refused (exit 65), never counted as zero. With --known-at the report is \
                the one that could be produced then, byte for byte. The HTML page is self-contained (no script, \
                nothing fetched) and prints in landscape.
                """)

        @Option(help: "The month, YYYY-MM.") var month: YearMonth
        @Option(help: "Roll up by facility, country, mineral, instrument, authority, cohort or currency (repeatable; default: all).") var by: [ExposureDimension] = []
        @Option(help: "Show only what was recorded by this instant (RFC 3339, e.g. 2026-11-29T00:48:23Z).") var knownAt: String?
        @Option(help: "How to print the report.") var format: OutputFormat = .table
        @Option(help: "Write to this file (whole or not at all) instead of standard output.") var output: String?
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if let knownAt, Instant(rfc3339: knownAt) == nil {
                throw ValidationError("--known-at \"\(knownAt)\" is not an RFC 3339 timestamp with a zone, e.g. 2026-11-29T00:48:23Z")
            }
        }

        func run() throws {
            let instant = knownAt.flatMap { Instant(rfc3339: $0) }
            let trendMonths = format == .html ? 12 : 0
            let months = ExposureReport.monthsRead(for: month, trendMonths: trendMonths)
            let report = try ExposureReport.build(
                month: month, knownAt: instant, books: try database.store().exposureBooks(on: months.map(\.lastDay), knownAt: instant),
                dimensions: by.isEmpty ? ExposureDimension.allCases : by, trendMonths: trendMonths)
            let text: String
            switch format {
            case .json: text = try JSONOutput.render(report)
            case .csv: text = report.csvTable.renderCSV()
            case .table: text = report.renderText()
            case .html: text = try report.renderHTML()
            }
            try OutputSink.write(text, to: output)
        }
    }
}

extension Report {
    struct FacilityStatementCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "facility",
            abstract: "The statement of one facility: terms, the schedule against receipts, balances in its currency and USD, every entry.",
            discussion: """
                Receipts (repay, repay-interest, repay-principal, not reversed) are applied to the contract schedule's \
                installments oldest first; an installment due by --as-of and not paid in full is past due, its days \
                counted to --as-of. USD at the latest FX rate on or before --as-of. With --known-at the statement is the \
                one that could be produced then, byte for byte (an entry sealed later shows as unsealed).
                """)

        @Argument(help: "The facility id.") var id: String
        @OptionGroup var time: TimeOptions
        /// The formats a statement is printed in (no CSV: it is several tables).
        enum Format: String, CaseIterable, ExpressibleByArgument { case table, json, html }
        @Option(help: "How to print the statement.") var format: Format = .table
        @Option(help: "Write to this file (whole or not at all) instead of standard output.") var output: String?
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let store = try database.store()
            guard let books = try store.facilityBooks(id: id, asOf: time.date, knownAt: time.instant) else {
                throw UsageError("no facility has id \(id)\(time.instant.map { " as known at \($0)" } ?? "") (see dfc-ledger facility list)")
            }
            let statement = try FacilityStatement.build(books, asOf: time.date, knownAt: time.instant, mineralLists: try store.mineralLists())
            let text: String
            switch format {
            case .json: text = try JSONOutput.render(statement)
            case .table: text = statement.renderText()
            case .html: text = try statement.renderHTML()
            }
            try OutputSink.write(text, to: output)
        }
    }
}
