import ArgumentParser
import Ledger
import Reports

struct Accounts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The chart of accounts.", subcommands: [List.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every account with its set, type and normal balance.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let accounts = try database.store().accounts()
            var table = TextTable(columns: [.init("account"), .init("title"), .init("set"), .init("type"), .init("normal"), .init("verify")])
            for a in accounts {
                table.append([a.number, a.title, a.set.rawValue, a.type, a.normalBalance.rawValue, a.needsVerification ? "yes" : ""])
            }
            switch output.format {
            case .json: print(try JSONOutput.render(["accounts": accounts]), terminator: "")
            case .csv: print(table.renderCSV(), terminator: "")
            case .table, .html: print(table.renderText(), terminator: "")
            }
        }
    }
}
