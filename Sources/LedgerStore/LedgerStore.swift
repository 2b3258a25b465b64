import Dates
import Ledger
import Postgres

/// The ledger persisted in PostgreSQL: the only place that writes SQL about ledgers.
///
/// Wraps one `Connection`, and is therefore not `Sendable` either: each thread or process
/// opens its own store.
public final class LedgerStore {
    public let connection: Connection
    /// Accounts, funds and closed months, read once: they change rarely, and the database
    /// re-checks every posting against the current rows anyway.
    var cachedChart: Chart?
    /// Whether an approval policy exists, read once: a policy set later makes the database refuse
    /// a covered posting at commit, and the store then looks again and proposes it.
    var cachedApprovalsInForce: Bool?

    func approvalsInForce() throws -> Bool {
        if let cachedApprovalsInForce { return cachedApprovalsInForce }
        let inForce = try Self.approvalsInForce(connection)
        cachedApprovalsInForce = inForce
        return inForce
    }

    struct Chart {
        var accounts: [String: Account]
        var funds: Set<String>
        var closedMonths: Set<YearMonth>
    }

    func chart() throws -> Chart {
        if let cachedChart { return cachedChart }
        let chart = Chart(
            accounts: Dictionary(uniqueKeysWithValues: try accounts().map { ($0.number, $0) }),
            funds: Set(try funds().map(\.code)),
            closedMonths: Set(try periods().filter(\.isClosed).map(\.month)))
        cachedChart = chart
        return chart
    }

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Connects to `conninfo` (or libpq's `PG*` environment when nil).
    public convenience init(conninfo: String?, options: ConnectionOptions = ConnectionOptions()) throws {
        self.init(connection: try Connection(conninfo: conninfo, options: options))
    }

    /// The chart of accounts, by number.
    public func accounts() throws -> [Account] {
        try connection.query(
            """
            SELECT number, title, account_set, account_type, normal_balance, needs_verification
            FROM ledger.account ORDER BY number
            """
        ).map { row in
            Account(
                number: try row.decode(at: 0), title: try row.decode(at: 1),
                set: try row.decode(at: 2), type: try row.decode(at: 3),
                normalBalance: try row.decode(at: 4), needsVerification: try row.decode(at: 5))
        }
    }

    /// The funds, by code.
    public func funds() throws -> [Fund] {
        try connection.query("SELECT code, title, fund_kind FROM ledger.fund ORDER BY code").map { row in
            Fund(code: try row.decode(at: 0), title: try row.decode(at: 1), kind: try row.decode(at: 2))
        }
    }
}

@available(*, unavailable)
extension LedgerStore: Sendable {}

extension AccountSet: PostgresDecodable, PostgresEncodable {}
extension Side: PostgresDecodable, PostgresEncodable {}
