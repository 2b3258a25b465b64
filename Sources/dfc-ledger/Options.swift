import ArgumentParser
import LedgerStore
import Postgres
import Reports

/// Where the ledger is.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database"),
        help: ArgumentHelp("libpq conninfo or postgresql:// URI (default: libpq's PG* environment).", valueName: "conninfo"))
    var conninfo: String?

    func validate() throws {
        if let conninfo, let problem = Connection.conninfoSyntaxError(conninfo) {
            throw ValidationError("--database is not a valid conninfo: \(problem)")
        }
    }

    func connect() throws -> Connection {
        try Connection(conninfo: conninfo)
    }

    func store() throws -> LedgerStore {
        LedgerStore(connection: try connect())
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// `--format` for commands that print a table: only the formats they produce (HTML is for
/// reports), so `--help` lists no other.
struct TableFormatOption: ParsableArguments {
    enum Choice: String, CaseIterable, ExpressibleByArgument { case table, csv, json }

    @Option(name: .customLong("format"), help: "How to print the result.")
    var choice: Choice = .table

    var format: OutputFormat { OutputFormat(rawValue: choice.rawValue)! }
}
