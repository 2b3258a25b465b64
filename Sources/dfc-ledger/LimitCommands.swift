import ArgumentParser
import Dates
import Foundation
import Ledger
import LedgerStore
import Reports

extension Import {
    struct FXRates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fx-rates", abstract: "Import FX rates from CSV (date, currency, usd_per_unit), all or nothing.",
            discussion: "usd_per_unit is an exact decimal with at most 10 places. The same rate again changes nothing; a different rate for the same currency and date is refused.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let table = try CSVTable(try readInputFile(file, limit: 64 << 20), file: file, required: ["date", "currency", "usd_per_unit"])
            var rows: [(location: String, currency: Currency, date: CivilDate, usdPerUnit: ExactDecimal)] = []
            for record in table.records {
                let location = "row \(record.row)"
                func fail(_ column: String, _ reason: String) -> InputError {
                    InputError(file: file, location: location, field: column, value: table.value(record, column), reason: reason)
                }
                guard let date = CivilDate(iso: table.value(record, "date").trimmingSpaces) else { throw fail("date", "not a date in YYYY-MM-DD form") }
                guard let currency = Currency(code: table.value(record, "currency").trimmingSpaces), currency.code != "USD" else {
                    throw fail("currency", "an ISO 4217 code other than USD")
                }
                guard let rate = ExactDecimal(table.value(record, "usd_per_unit").trimmingSpaces), rate.scale <= 10, rate > ExactDecimal(significand: 0, scale: 0) else {
                    throw fail("usd_per_unit", "a positive exact decimal with at most 10 places, e.g. 0.6582")
                }
                rows.append((location, currency, date, rate))
            }
            let created = try database.store().importFXRates(rows, file: file)
            try NothingPosted.print(
                ImportCount(file: file, imported: created, alreadyPresent: rows.count - created), format: output.format,
                line: "\(file): \(created) FX rates imported, \(rows.count - created) already present")
        }
    }
}

struct LimitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits", abstract: "The statutory and policy limits, as dated configuration.", subcommands: [List.self, Set.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every dated value of every limit, with its severity and source.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let configs = try database.store().limitConfigs()
            var table = TextTable(columns: [.init("limit"), .init("from"), .init("kind"), .init("scope"), .init("cap_usd", .right), .init("share", .right), .init("severity"), .init("note")])
            for c in configs {
                table.append([
                    c.id, c.effectiveFrom.description, c.kind.rawValue, c.scope, c.amount.map { Money(minorUnits: $0, currency: .usd).formatted } ?? "",
                    c.share?.description ?? "", c.severity.rawValue, c.note,
                ])
            }
            switch output.format {
            case .json:
                struct Item: Encodable { var limit, from, kind, scope: String; var capUsd, share: String?; var severity, note: String }
                print(try JSONOutput.render(["limits": configs.map {
                    Item(limit: $0.id, from: $0.effectiveFrom.description, kind: $0.kind.rawValue, scope: $0.scope,
                         capUsd: $0.amount.map { Money(minorUnits: $0, currency: .usd).formatted }, share: $0.share?.description, severity: $0.severity.rawValue, note: $0.note)
                }]), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html: print(table.renderText(), terminator: "")
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a limit a value from a date on (the earlier values stay, for reproducing past checks).",
            discussion: """
                Kinds: mcl and dpa302-shortfall take --cap-usd; equity-share, country-share, mineral-share and \
                obligor-share take --share (a decimal or a percentage). Concentration limits apply to --scope \
                (a country code, mineral or obligor), or to each one with the default '*'.
                """)
        @Argument(help: "The limit's id, e.g. mcl or country-share-us.") var limit: String
        @Option(help: "The kind of limit.") var kind: String
        @Option(help: "Effective from this date, YYYY-MM-DD.") var from: String
        @Option(help: "A cap in USD (mcl, dpa302-shortfall).") var capUsd: String?
        @Option(help: "A share, e.g. 25% or 0.25.") var share: String?
        @Option(help: "Country, mineral or obligor; '*' for each.") var scope: String = "*"
        @Option(help: "block or warn.") var severity: String
        @Option(help: "Why, and the source.") var note: String = ""
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            guard let kind = LimitKind(rawValue: kind) else { throw UsageError("--kind \(kind) is not one of \(LimitKind.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard let date = CivilDate(iso: from) else { throw UsageError("--from \(from) is not a date in YYYY-MM-DD form") }
            guard let severity = Severity(rawValue: severity) else { throw UsageError("--severity must be block or warn") }
            var amount: Int64?
            var shareValue: ExactDecimal?
            if kind.isAmount {
                guard let capUsd, shareValue == nil, share == nil else { throw UsageError("a \(kind.rawValue) limit takes --cap-usd (and no --share)") }
                amount = try Money(parsing: capUsd, currency: .usd).minorUnits
            } else {
                guard let share, capUsd == nil, let s = ExactDecimal(share), s > ExactDecimal(significand: 0, scale: 0), s <= ExactDecimal(significand: 1, scale: 0) else {
                    throw UsageError("a \(kind.rawValue) limit takes --share between 0 and 100% (and no --cap-usd)")
                }
                shareValue = s
            }
            let proposal = try database.store().setLimit(
                LimitConfig(id: limit, effectiveFrom: date, kind: kind, scope: scope, amount: amount, share: shareValue, severity: severity, note: note))
            let value = amount.map { Money(minorUnits: $0, currency: .usd).formatted + " USD" } ?? shareValue!.description
            try NothingPosted.print(
                [
                    "limit": limit, "kind": kind.rawValue, "effective_from": date.description, "scope": scope, "severity": severity.rawValue,
                    "cap_usd": amount.map { Money(minorUnits: $0, currency: .usd).formatted }, "share": shareValue?.description,
                ].merging(proposal.map { ["status": "proposed", "proposal_id": $0] } ?? [:]) { $1 }, format: output.format,
                line: proposal.map { "proposed \($0) awaiting certification (limit \(limit) is \(value) from \(date))" } ?? "limit \(limit) is \(value) (\(severity.rawValue)) from \(date)")
        }
    }
}

extension Report {
    struct LimitsReport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "limits", abstract: "Every limit in effect: its cap, what is used, utilization and status (ok, warn, breach).")
        @Option(help: "Evaluate on this date (limits and FX rates in effect then), default today (UTC).") var asOf: String?
        @Flag(help: "Exit 2 if any limit is in breach or warning.") var failOnBreach = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            guard asOf.map({ CivilDate(iso: $0) != nil }) ?? true else { throw UsageError("--as-of \(asOf!) is not a date in YYYY-MM-DD form") }
            let date = asOf.flatMap { CivilDate(iso: $0) } ?? CivilDate.todayUTC()
            let statuses = try database.store().limitStatus(on: date)
            func usd(_ m: Int64) -> String { Money(minorUnits: m, currency: .usd).formatted }
            var table = TextTable(columns: [.init("limit"), .init("severity"), .init("cap_usd", .right), .init("used_usd", .right), .init("utilization", .right), .init("status")])
            for s in statuses { table.append([s.limit, s.severity.rawValue, usd(s.cap), usd(s.used), s.utilization, s.state.rawValue]) }
            switch output.format {
            case .json:
                struct Item: Encodable { var limit, cap, used, utilization, status, severity: String }
                struct Out: Encodable { var asOf: String; var limits: [Item] }
                print(try JSONOutput.render(Out(asOf: date.description, limits: statuses.map {
                    Item(limit: $0.limit, cap: usd($0.cap), used: usd($0.used), utilization: $0.utilization, status: $0.state.rawValue, severity: $0.severity.rawValue)
                })), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html:
                print("Limits as of \(date) (USD, FX at the latest rate on or before it)")
                print()
                print(table.renderText(), terminator: "")
            }
            if failOnBreach, statuses.contains(where: { $0.state != .ok }) { throw ExitCode(2) }
        }
    }
}
