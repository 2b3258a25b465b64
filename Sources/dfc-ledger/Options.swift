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

/// `--format` for commands that print a table (not HTML, which is for reports).
struct TableFormatOption: ParsableArguments {
    @Option(help: "table, csv or json.")
    var format: OutputFormat = .table

    func validate() throws {
        if format == .html { throw ValidationError("--format html is for reports; use table, csv or json") }
    }
}
