import ArgumentParser
import LedgerStore
import Postgres
import Reports

struct Db: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The ledger's database: schema migrations and status.",
        subcommands: [Migrate.self, Status.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending schema migrations, each in its own transaction.",
            discussion: "Refuses to run if an applied migration's file has changed. Safe to run from several processes at once.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let connection = try database.connect()
            let migrator = try LedgerMigrations.migrator()
            let applied = try migrator.migrate(connection)
            let status = try migrator.status(connection)
            switch output.format {
            case .json:
                print(try JSONOutput.render(NothingPosted(MigrateOutput(target: connection.target, applied: applied.map(\.name), current: status.applied.count))), terminator: "")
            case .csv:
                var table = TextTable(columns: [.init("applied")])
                applied.forEach { table.append([$0.name]) }
                print(table.renderCSV(), terminator: "")
            case .table, .html:
                for m in applied { print("applied \(m.name) (sha256 \(m.sha256.prefix(12)))") }
                print("\(connection.target) is up to date: \(status.applied.count) applied in all, \(applied.count) by this run")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the connection target, the server version and every migration's state.",
            discussion: "Reads only; before the first migrate it lists every migration as pending and exits 0.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TableFormatOption

        func run() throws {
            let connection = try database.connect()
            let status = try LedgerMigrations.migrator().status(connection)
            let report = StatusOutput(connection: connection, status: status)
            switch output.format {
            case .json: print(try JSONOutput.render(report), terminator: "")
            case .csv: print(report.table.renderCSV(), terminator: "")
            case .table, .html:
                print("Connected to \(report.target) (PostgreSQL \(report.serverVersion))")
                print("Migrations: \(status.applied.count) applied, \(status.pending.count) pending\(status.changed.isEmpty ? "" : ", \(status.changed.count) CHANGED")\(status.unknown.isEmpty ? "" : ", \(status.unknown.count) unknown to this program")\(status.retired.isEmpty ? "" : ", \(status.retired.count) RETIRED (replaced by the baseline: Scripts/db destroy rebuilds a development database)")")
                print()
                print(report.table.renderText(), terminator: "")
            }
        }
    }
}

struct MigrateOutput: Encodable {
    var target: String
    var applied: [String]
    var current: Int
}

struct StatusOutput: Encodable {
    struct Item: Encodable {
        var name: String
        var state: String
        var sha256: String?
        var appliedAt: String?
        var appliedBy: String?
    }

    var target: String
    var serverVersion: String
    var migrations: [Item]

    init(connection: Connection, status: MigrationStatus) {
        target = connection.target
        serverVersion = connection.serverVersion
        let changed = Set(status.changed)
        let unknown = Set(status.unknown)
        let retired = Set(status.retired)
        migrations =
            status.applied.map {
                Item(
                    name: $0.name, state: changed.contains($0.name) ? "changed" : unknown.contains($0.name) ? "unknown" : retired.contains($0.name) ? "retired" : "applied",
                    sha256: $0.sha256, appliedAt: $0.appliedAt.description, appliedBy: $0.appliedBy)
            } + status.pending.map { Item(name: $0.name, state: "pending", sha256: $0.sha256) }
    }

    var table: TextTable {
        var table = TextTable(columns: [.init("migration"), .init("state"), .init("applied_at"), .init("applied_by"), .init("sha256")])
        for m in migrations { table.append([m.name, m.state, m.appliedAt ?? "", m.appliedBy ?? "", m.sha256 ?? ""]) }
        return table
    }
}
