import ArgumentParser
import Dates
import Ledger
import LedgerStore
import Reports

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports, each as of an effective date and as known at a recorded time.", subcommands: [TrialBalance.self])

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
        @Option(help: "table, csv, json or html.") var format: OutputFormat = .table
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
}
