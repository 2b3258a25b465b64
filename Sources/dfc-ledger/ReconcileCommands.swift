import ArgumentParser
import Dates
import Ledger
import LedgerStore
import Reconciliation
import Reports

extension BankStatement.Format: ExpressibleByArgument {}

struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile the ledger to bank and Treasury statements.", subcommands: [StatementCommand.self, Breaks.self, Match.self, Subledger.self])

    struct StatementCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "statement",
            abstract: "Store a statement once and match it to the ledger's movements on an account, fund and currency.",
            discussion: """
                The statement (CSV, BAI2 or camt.053, detected unless --statement-format) is checked first: it \
                must roll forward, else exit 65 naming the difference. Matching: the same reference and amount; \
                then the amount alone with one candidate both ways within --window-days; then one item against \
                the movements of its reference that add up to it. What is left with a shared reference is listed \
                under differences. The same file again prints the stored result and writes nothing; another file \
                claiming the same statement id is refused (65).
                """)

        @Argument(help: "The statement file.") var file: String
        @Option(help: "The ledger account (6 digits), e.g. 101000.") var account: String
        @Option(help: "The fund, e.g. FIN-DL.") var fund: String
        @Option(help: "csv, bai2 or camt.053 (default: detected).") var statementFormat: BankStatement.Format?
        @Option(help: "The statement's account number, when the file holds several (BAI2).") var bankAccount: String?
        @Option(help: "CSV: the amounts' currency (default USD).") var currency: String = "USD"
        @Option(help: "CSV without a balance column: the opening balance.") var opening: String?
        @Option(help: "CSV without a balance column: the closing balance.") var closing: String?
        @Option(help: "CSV columns of another layout: date=…,amount=… (or debit=…,credit=…),reference=…,description=…[,balance=…].") var columns: String?
        @Option(help: "The statement's first day, YYYY-MM-DD, when the file states no period (CSV) or to override it.") var from: String?
        @Option(help: "The statement's last day, YYYY-MM-DD (with --from).") var to: String?
        @Option(help: "Days either side for matching by amount alone.") var windowDays: Int = 3
        @Flag(help: "Exit 2 when anything is left unmatched (for scheduled jobs).") var failOnBreak = false
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard (0...31).contains(windowDays) else { throw ValidationError("--window-days must be between 0 and 31") }
            guard (from == nil) == (to == nil) else { throw ValidationError("--from and --to go together") }
            if let from, let to {
                guard let first = CivilDate(iso: from) else { throw ValidationError("--from \(from) is not a date (YYYY-MM-DD)") }
                guard let last = CivilDate(iso: to) else { throw ValidationError("--to \(to) is not a date (YYYY-MM-DD)") }
                guard first <= last else { throw ValidationError("--from \(from) is after --to \(to)") }
            }
            if let columns, CSVStatement.Layout(mapping: columns) == nil {
                throw ValidationError("--columns \"\(columns)\" must name date, reference, description and either amount or debit and credit, e.g. date=Booked,amount=Amount,reference=Ref,description=Text")
            }
        }

        func run() throws {
            // The file's bytes live only while it is read (a 100,000-item camt.053 is ~22 MB).
            var statement = try read(try readInputFile(file, limit: 512 << 20))
            if let from = from.flatMap(CivilDate.init(iso:)), let to = to.flatMap(CivilDate.init(iso:)) { statement.statedPeriod = from...to }
            let store = try database.store()
            guard try store.accounts().contains(where: { $0.number == account }) else {
                throw UsageError("--account \(account) is not in the chart of accounts (see dfc-ledger accounts list)")
            }
            let stored = try store.storeStatement(statement, account: account, fund: fund, file: file) { open in
                Matching.match(statement.items, open, windowDays: windowDays).matched.map {
                    (itemNo: $0.item + 1, entryIDs: $0.movements.map { open[$0].entryID }, rule: $0.rule.rawValue)
                }
            }
            // The period it was stored with (a statement stored before keeps its own).
            let period = try store.statementPeriod(statementID: statement.id) ?? (CivilDate.todayUTC()...CivilDate.todayUTC())
            let matches = try store.statementMatches(statementID: statement.id)
            let all = try store.ledgerMovements(
                account: account, fund: fund, currency: statement.currency, from: period.lowerBound, to: period.upperBound, includingMatched: true)
            let open = all.filter { !$0.matched }
            let ledgerOpening = try store.balance(account: account, fund: fund, currency: statement.currency, asOf: period.lowerBound.adding(days: -1))
            let report = ReconciliationReport.build(
                statement, account: account, fund: fund, matches: matches, open: open, ledgerOpening: ledgerOpening, periodMovements: all)
            try render(report, stored: stored)
            if failOnBreak && report.status != "reconciled" { throw ExitCode(2) }
        }

        func read(_ bytes: [UInt8]) throws -> BankStatement {
            let format = statementFormat ?? StatementReader.detect(bytes)
            let statements: [BankStatement]
            switch format {
            case .csv:
                guard let currency = Currency(code: currency) else { throw UsageError("--currency \(self.currency) is not an ISO 4217 currency") }
                func amount(_ text: String?, _ name: String) throws -> Int64? {
                    guard let text else { return nil }
                    do { return try Money(parsing: text, currency: currency).minorUnits } catch { throw UsageError("\(name) \"\(text)\" is not an amount in \(currency.code)") }
                }
                let layout = columns.flatMap(CSVStatement.Layout.init(mapping:)) ?? .standard
                statements = [
                    try CSVStatement.read(bytes, file: file, layout: layout, currency: currency, opening: try amount(opening, "--opening"), closing: try amount(closing, "--closing"))
                ]
            case .bai2: statements = try BAI2.read(bytes, file: file)
            case .camt053: statements = try Camt053.read(bytes, file: file)
            }
            if let bankAccount {
                guard let one = statements.first(where: { $0.bankAccount == bankAccount }) else {
                    throw UsageError("--bank-account \(bankAccount) is not in \(file) (it holds \(statements.map(\.bankAccount).joined(separator: ", ")))")
                }
                return one
            }
            guard statements.count == 1 else {
                throw UsageError("\(file) holds \(statements.count) statements: choose one with --bank-account (\(statements.map(\.bankAccount).joined(separator: ", ")))")
            }
            return statements[0]
        }

        func render(_ r: ReconciliationReport, stored: StatementStored) throws {
            switch output.format {
            case .json: try JSONOutput.stream(r) { print($0, terminator: "") }
            case .csv:
                var table = TextTable(columns: [.init("side"), .init("date"), .init("amount", .right), .init("reference"), .init("entry_ids"), .init("rule")])
                for m in r.matched { table.append(["matched", m.date, m.amount, m.reference, m.entryIds.map(String.init).joined(separator: ";"), m.rule]) }
                for s in r.unmatchedStatement { table.append(["statement", s.date, s.amount, s.reference, "", ""]) }
                for l in r.unmatchedLedger { table.append(["ledger", l.date, l.amount, l.reference, String(l.entryId), ""]) }
                print(table.renderCSV(), terminator: "")
            case .table, .html:
                print("Statement \(r.statement.id) against \(r.account) \(r.fund) \(r.currency)\(stored == .alreadyStored ? " (stored before: its stored result)" : "")")
                print("\(r.statement.entries) items, \(r.matched.count) matched: \(r.status.uppercased())")
                var roll = TextTable(columns: [.init(""), .init("opening", .right), .init("receipts", .right), .init("disbursements", .right), .init("closing", .right)])
                for (name, l) in [("statement", r.rollForward.statement), ("ledger", r.rollForward.ledger)] {
                    roll.append([name, Grouping.grouped(l.opening), Grouping.grouped(l.receipts), Grouping.grouped(l.disbursements), Grouping.grouped(l.closing)])
                }
                print()
                print(roll.renderText(), terminator: "")
                if !r.unmatchedStatement.isEmpty {
                    var t = TextTable(columns: [.init("date"), .init("amount", .right), .init("reference")])
                    for s in r.unmatchedStatement { t.append([s.date, Grouping.grouped(s.amount), s.reference]) }
                    print("\nOn the statement, not in the ledger:\n" + t.renderText(), terminator: "")
                }
                if !r.unmatchedLedger.isEmpty {
                    var t = TextTable(columns: [.init("entry", .right), .init("date"), .init("amount", .right), .init("reference")])
                    for l in r.unmatchedLedger { t.append([String(l.entryId), l.date, Grouping.grouped(l.amount), l.reference]) }
                    print("\nIn the ledger, not on the statement:\n" + t.renderText(), terminator: "")
                }
                for d in r.differences {
                    print("\nDifference under \(d.reference): statement \(d.statement.joined(separator: ", ")), ledger \(d.ledger.joined(separator: ", "))")
                }
            }
        }
    }
}

extension Reconcile {
    /// The options of a scheduled reconciliation job: a date, a fund, and whether a break fails it.
    struct JobOptions: ParsableArguments {
        @Option(help: "As of this date, YYYY-MM-DD (default: today, UTC).") var asOf: String?
        @Option(help: "Only this fund.") var fund: String?
        @Flag(help: "Exit 2 on any break (for scheduled jobs).") var failOnBreak = false

        func validate() throws {
            if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of \"\(asOf)\" is not a date in YYYY-MM-DD form") }
        }

        var date: CivilDate { asOf.flatMap { CivilDate(iso: $0) } ?? CivilDate.todayUTC() }
    }

    struct Breaks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open breaks across stored statements, aged: 0-30, 31-60, 61-90 and over 90 days; over two months flagged.")
        @OptionGroup var job: JobOptions
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let (date, fund, failOnBreak) = (job.date, job.fund, job.failOnBreak)
            let breaks = try database.store().openBreaks(fund: fund, asOf: date)
            struct Item: Encodable {
                var side, statementId, fund, currency, date, amount, reference, bucket: String
                var itemNo: Int?
                var itemId: Int64?
                var entryId: Int64?
                var ageDays: Int
                var overdue: Bool
            }
            let items = breaks.map { b in
                let days = Aging.days(b.date, asOf: date)
                return Item(
                    side: b.side.rawValue, statementId: b.statementID, fund: b.fund, currency: b.currency, date: b.date.description,
                    amount: Money(minorUnits: b.amount, currency: Currency(code: b.currency) ?? .usd).formatted, reference: b.reference,
                    bucket: Aging.bucket(days: days), itemNo: b.itemNo, itemId: b.itemID, entryId: b.entryID, ageDays: days, overdue: Aging.isOverdue(b.date, asOf: date))
            }
            var table = TextTable(columns: [
                .init("side"), .init("statement"), .init("item #"), .init("item id/entry", .right), .init("date"), .init("amount", .right), .init("ccy"), .init("reference"),
                .init("age", .right), .init("bucket"), .init("!"),
            ])
            for i in items {
                table.append([
                    i.side, i.statementId, i.itemNo.map { "#\($0)" } ?? "", (i.itemId ?? i.entryId).map(String.init) ?? "", i.date, Grouping.grouped(i.amount), i.currency,
                    i.reference, String(i.ageDays), i.bucket, i.overdue ? "!" : "",
                ])
            }
            switch output.format {
            case .json:
                struct Output: Encodable { var asOf: String; var breaks: [Item] }
                print(try JSONOutput.render(Output(asOf: date.description, breaks: items)), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html:
                print("Open breaks as of \(date)\(fund.map { ", fund \($0)" } ?? "")")
                print()
                print(items.isEmpty ? "(none: every stored statement is reconciled)\n" : table.renderText(), terminator: "")
                let overdue = items.filter(\.overdue).count
                if overdue > 0 { print("\n! \(overdue) break\(overdue == 1 ? "" : "s") older than two months (DOMAIN.md §7: clear within two months)") }
            }
            if failOnBreak && !items.isEmpty { throw ExitCode(2) }
        }
    }

    struct Match: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear a break by hand: match a statement item to entries (e.g. an adjusting entry) whose amounts add up to it.",
            discussion: "The item is named by its id (as `reconcile breaks` lists it), or by its statement and number. Who, when and why are recorded; nothing is ever deleted. The entries' net movements on the statement's account, fund and currency must add up to the item's amount. The same match again changes nothing.")
        @Option(help: "The statement item's id (reconcile breaks lists it).") var statementItem: Int64?
        @Option(help: "Or the statement id, with --item.") var statement: String?
        @Option(help: "The item's number in that statement (from 1).") var item: Int?
        @Option(help: "An entry id (repeatable, for a batch).") var entry: [Int64]
        @Option(help: "Why (recorded).") var reason: String
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            if entry.isEmpty { throw ValidationError("name at least one --entry") }
            guard (statementItem != nil) != (statement != nil && item != nil), (statement == nil) == (item == nil) else {
                throw ValidationError("name the item by --statement-item ID, or by --statement S with --item N")
            }
        }

        func run() throws {
            let store = try database.store()
            let statement: String, item: Int, created: Bool
            if let statementItem {
                (statement, item, created) = try store.matchByHand(itemID: statementItem, entryIDs: entry, reason: reason)
            } else {
                (statement, item) = (self.statement!, self.item!)
                created = try store.matchByHand(statementID: statement, itemNo: item, entryIDs: entry, reason: reason)
            }
            let entries = entry.map(String.init).joined(separator: ", ")
            try NothingPosted.print(
                [
                    "statement_id": statement, "item_no": String(item), "entry_ids": entry.map(String.init).joined(separator: ","), "rule": "manual",
                    "status": created ? "created" : "existing",
                ],
                format: output.format,
                line: created
                    ? "matched item #\(item) of \(statement) to entr\(entry.count == 1 ? "y" : "ies") \(entries) (manual: \(reason))"
                    : "item #\(item) of \(statement) was matched to \(entries) already")
        }
    }
}

extension Reconcile {
    struct Subledger: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The facility subledger against the control accounts, per fund and currency (DOMAIN.md §7).",
            discussion: """
                Facilities' side: what each facility's events posted to 135000, 134100, 169000, 161800 and 920100 \
                on its own lines (net of reversed events), and its obligations less deobligations; general ledger: \
                the stored balances of those accounts and of 480100 + 490200. A line that does not tie shows an \
                entry posted to a control account outside the events, or a stored balance that is not the sum of \
                its lines.
                """)
        @OptionGroup var job: JobOptions
        @OptionGroup var output: TableFormatOption
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let (date, fund, failOnBreak) = (job.date, job.fund, job.failOnBreak)
            let lines = try database.store().subledgerTieOut(asOf: date, fund: fund)
            struct Line: Encodable { var fund, currency, line, subledger, generalLedger, difference: String }
            let rows = lines.map { l in
                let currency = Currency(code: l.currency) ?? .usd
                func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).formatted }
                return Line(
                    fund: l.fund, currency: l.currency, line: l.line, subledger: money(l.subledger), generalLedger: money(l.generalLedger),
                    difference: money(l.generalLedger - l.subledger))
            }
            let ties = lines.allSatisfy { $0.subledger == $0.generalLedger }
            var table = TextTable(columns: [
                .init("fund"), .init("ccy"), .init("account"), .init("facilities", .right), .init("general ledger", .right), .init("difference", .right), .init("!"),
            ])
            for r in rows {
                table.append([r.fund, r.currency, r.line, Grouping.grouped(r.subledger), Grouping.grouped(r.generalLedger), Grouping.grouped(r.difference), r.subledger == r.generalLedger ? "" : "!"])
            }
            switch output.format {
            case .json:
                struct Output: Encodable { var asOf: String; var lines: [Line]; var status: String }
                print(try JSONOutput.render(Output(asOf: date.description, lines: rows, status: ties ? "ties" : "breaks")), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html:
                print("Subledger against the general ledger as of \(date)\(fund.map { ", fund \($0)" } ?? ""): \(ties ? "TIES" : "BREAKS")")
                print()
                print(table.renderText(), terminator: "")
            }
            if failOnBreak && !ties { throw ExitCode(2) }
        }
    }
}
