import ArgumentParser
import Ledger
import Postgres

/// The exit codes of DESIGN.md §5, and the one-line message for each error the library throws.
/// Errors of argument-parser itself (usage: 64, help: 0) are left to it.
struct Failure {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    /// The database role lacks a right (EX_NOPERM).
    static let permission: Int32 = 77
    static let other: Int32 = 1

    var exitCode: Int32
    var message: String

    init?(_ error: any Error) {
        switch error {
        case let e as PostgresError:
            switch e.kind {
            case .connectionFailed, .connectionLost: exitCode = Self.unavailable
            case .statement, .copyAborted, .protocolViolation: exitCode = Self.other
            }
            message = e.description
            if e.code == .insufficientPrivilege {
                exitCode = Self.permission
                message = "your database role lacks a right: \(e.message). The ledger's roles: ledger_officer records and closes periods; "
                    + "ledger_certifier also certifies the proposals of other officers; "
                    + "ledger_reporter and ledger_reconciler read (run verify with --no-seal); configuration such as limits and posting rules is ledger_owner's."
            } else if e.code == .readOnlySQLTransaction {
                exitCode = Self.unavailable
                message = "this server only reads (a standby, or default_transaction_read_only): write commands need the primary; "
                    + "reports, export and verify --no-seal work here (\(e.message))"
            } else if e.code == .undefinedTable || e.code?.rawValue == "3F000" {
                message = "the ledger's tables are missing or older than this program in this database: run `dfc-ledger db migrate` (\(e.message))"
            }
        case is MigrationError, is LedgerError, is InputError, is MoneyError, is BooksDoNotVerify, is LocatedError:
            exitCode = Self.dataError
            message = String(describing: error)
        case let e as UsageError:
            exitCode = Self.usage
            message = e.message
        case let e as PostgresDecodingError:
            exitCode = Self.other
            message = e.description
        default:
            return nil
        }
    }
}

/// A bad option value that only the database can reveal (an unknown account, say): exit 64.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
