import ArgumentParser
import Foundation
import Logging

@main
struct DfcLedger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfc-ledger",
        abstract: "The double-entry books of Defense Production Act financing, kept in PostgreSQL.",
        discussion: """
            Connects with --database CONNINFO, else with libpq's PG* environment variables. \
            Exit codes: 0 success, 64 usage error, 65 bad input data or a refused business rule, \
            69 database unreachable, 77 the database role lacks a right, 1 anything else; \
            2 for a limit breach with --fail-on-breach.

            Set DFC_LEDGER_LOG_LEVEL (trace…critical, default warning) to see more on stderr.
            """,
        subcommands: [
            Db.self, Accounts.self, FacilityCommand.self, Import.self, Rules.self, Obligate.self, Deobligate.self, Disburse.self, Repay.self,
            Accrue.self, WriteOff.self, RecordEvent.self, MonthEnd.self, LimitsCommand.self, Post.self, Reverse.self, Period.self, Report.self, Reconcile.self, Approvals.self, Approve.self, Reject.self, Verify.self, Export.self,
        ]
    )

    static func main() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["DFC_LEDGER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
            return handler
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if let failure = Failure(error) {
                FileHandle.standardError.write(Data("dfc-ledger: error: \(failure.message)\n".utf8))
                Foundation.exit(failure.exitCode)
            }
            exit(withError: error)
        }
    }
}
