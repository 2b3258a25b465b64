import Ledger

/// An account register: the account's opening balances, every line on it in date order with a
/// running balance per fund and currency, and the closing balances. Balances are debit − credit.
public struct RegisterReport: Encodable, Sendable, Equatable {
    public struct Row: Encodable, Sendable, Equatable {
        public var date: String
        public var entryId: Int64
        public var eventId: String
        public var description: String
        public var fund: String
        /// null for fund-level lines.
        @NullWhenAbsent public var facility: String?
        public var currency: String
        public var debit: String
        public var credit: String
        /// The fund's running balance in this currency after this line.
        public var balance: String
    }

    public struct Balance: Encodable, Sendable, Equatable {
        public var fund: String
        public var currency: String
        public var balance: String
    }

    public var account: String
    public var title: String
    /// The first day shown, or null for the account's whole history.
    @NullWhenAbsent public var from: String?
    public var to: String
    @NullWhenAbsent public var knownAt: String?
    public var opening: [Balance]
    public var rows: [Row]
    public var closing: [Balance]

    public init(
        account: String, title: String, from: String?, to: String, knownAt: String?, opening: [Balance], rows: [Row], closing: [Balance]
    ) {
        self.account = account
        self.title = title
        self.from = from
        self.to = to
        self.knownAt = knownAt
        self.opening = opening
        self.rows = rows
        self.closing = closing
    }

    /// The columns of the register's table and CSV.
    public static let columns: [TextTable.Column] = [
        .init("date"), .init("entry_id", .right), .init("event_id"), .init("description"), .init("fund"), .init("facility"),
        .init("currency"), .init("debit", .right), .init("credit", .right), .init("balance", .right),
    ]

    /// The cells of one row in `columns` order.
    public static func cells(_ r: Row) -> [String] {
        [r.date, String(r.entryId), r.eventId, r.description, r.fund, r.facility ?? "", r.currency, r.debit, r.credit, r.balance]
    }

    /// The cells of an opening-balance row (the balance before the first day shown).
    public static func openingCells(_ b: Balance) -> [String] {
        ["", "", "", "opening balance", b.fund, "", b.currency, "", "", b.balance]
    }

    /// Opening rows, the lines, then closing rows.
    public var table: TextTable {
        var table = TextTable(columns: Self.columns)
        for b in opening { table.append(Self.openingCells(b)) }
        for r in rows { table.append(Self.cells(r)) }
        for b in closing { table.append(["", "", "", "closing balance", b.fund, "", b.currency, "", "", b.balance]) }
        return table
    }
}

/// Builds register rows one line at a time, so a long register can be streamed.
public struct RegisterBuilder: Sendable {
    private var running: [Key: Int64] = [:]
    public let opening: [RegisterReport.Balance]

    private struct Key: Hashable, Comparable {
        var fund: String
        var currency: String
        static func < (a: Key, b: Key) -> Bool { (a.fund, a.currency) < (b.fund, b.currency) }
    }

    /// Starts from the balances before the first day shown.
    public init(opening balances: [AccountBalance]) throws {
        for b in balances { running[Key(fund: b.fund, currency: b.currency), default: 0] += b.balanceMinorUnits }
        opening = try Self.balances(running)
    }

    /// The next line's row, with the running balance of its fund and currency.
    public mutating func row(_ l: RegisterLine) throws -> RegisterReport.Row {
        let amount = l.line.amount
        let key = Key(fund: l.line.fund, currency: amount.currency.code)
        let signed = l.line.signedMinorUnits
        let (balance, overflow) = running[key, default: 0].addingReportingOverflow(signed)
        guard !overflow else { throw MoneyError.overflow(operation: "register balance of fund \(key.fund) \(key.currency)") }
        running[key] = balance
        let zero = Money(minorUnits: 0, currency: amount.currency).formatted
        return RegisterReport.Row(
            date: l.effectiveDate.description, entryId: l.entryID, eventId: l.eventKey, description: l.description, fund: l.line.fund,
            facility: l.line.facility, currency: amount.currency.code,
            debit: l.line.side == .debit ? amount.formatted : zero, credit: l.line.side == .credit ? amount.formatted : zero,
            balance: Money(minorUnits: balance, currency: amount.currency).formatted)
    }

    /// The balances after every row so far, per fund and currency.
    public var closing: [RegisterReport.Balance] {
        get throws { try Self.balances(running) }
    }

    private static func balances(_ running: [Key: Int64]) throws -> [RegisterReport.Balance] {
        try running.keys.sorted().map { key in
            RegisterReport.Balance(
                fund: key.fund, currency: key.currency, balance: Money(minorUnits: running[key]!, currency: try Currency.named(key.currency)).formatted)
        }
    }
}
