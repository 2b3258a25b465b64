import Ledger

/// The trial balance (DESIGN.md §5): one row per account, fund and currency with a non-zero
/// balance, shown on its side, and debit and credit totals per account set and currency.
public struct TrialBalanceReport: Encodable, Sendable, Equatable {
    public struct Row: Encodable, Sendable, Equatable {
        public var account: String
        public var title: String
        public var set: String
        public var fund: String
        public var currency: String
        public var debit: String
        public var credit: String
        public var balance: String
    }

    public struct Totals: Encodable, Sendable, Equatable {
        public var debit: String
        public var credit: String
    }

    public var asOf: String
    /// RFC 3339, or null when the report shows everything recorded so far.
    @NullWhenAbsent public var knownAt: String?
    public var accounts: [Row]
    /// Set → currency → totals.
    public var totals: [String: [String: Totals]]

    /// Builds the report from balances; `set` keeps only one account set.
    public init(balances: [AccountBalance], accounts chart: [Account], asOf: String, knownAt: String?, set: AccountSet? = nil) throws {
        let byNumber = Dictionary(uniqueKeysWithValues: chart.map { ($0.number, $0) })
        self.asOf = asOf
        self.knownAt = knownAt
        var rows: [Row] = []
        var sums: [AccountSet: [String: (debit: Int64, credit: Int64)]] = [:]
        for b in balances where b.balanceMinorUnits != 0 {
            guard let account = byNumber[b.account] else { throw LedgerError.unknownAccount(b.account) }
            if let set, account.set != set { continue }
            let currency = try Currency.named(b.currency)
            let debit = max(b.balanceMinorUnits, 0)
            let credit = b.balanceMinorUnits < 0 ? -b.balanceMinorUnits : 0
            rows.append(
                Row(
                    account: b.account, title: account.title, set: account.set.rawValue, fund: b.fund, currency: b.currency,
                    debit: Money(minorUnits: debit, currency: currency).formatted, credit: Money(minorUnits: credit, currency: currency).formatted,
                    balance: Money(minorUnits: b.balanceMinorUnits, currency: currency).formatted))
            var t = sums[account.set, default: [:]][b.currency, default: (0, 0)]
            let (d, o1) = t.debit.addingReportingOverflow(debit)
            let (k, o2) = t.credit.addingReportingOverflow(credit)
            guard !o1, !o2 else { throw MoneyError.overflow(operation: "trial balance totals for \(account.set.rawValue) \(b.currency)") }
            t = (d, k)
            sums[account.set, default: [:]][b.currency] = t
        }
        accounts = rows.sorted { ($0.account, $0.fund, $0.currency) < ($1.account, $1.fund, $1.currency) }
        var totals: [String: [String: Totals]] = [:]
        for (set, byCurrency) in sums {
            for (code, t) in byCurrency {
                let currency = try Currency.named(code)
                totals[set.rawValue, default: [:]][code] = Totals(
                    debit: Money(minorUnits: t.debit, currency: currency).formatted, credit: Money(minorUnits: t.credit, currency: currency).formatted)
            }
        }
        self.totals = totals
    }

    /// The rows, then one total row per set and currency.
    public var table: TextTable {
        var table = TextTable(columns: [
            .init("account"), .init("title"), .init("set"), .init("fund"), .init("currency"), .init("debit", .right), .init("credit", .right),
        ])
        for r in accounts { table.append([r.account, r.title, r.set, r.fund, r.currency, r.debit, r.credit]) }
        for set in totals.keys.sorted(by: { (AccountSet(rawValue: $0) ?? .memorandum) < (AccountSet(rawValue: $1) ?? .memorandum) }) {
            for (currency, t) in totals[set]!.sorted(by: { $0.key < $1.key }) {
                table.append(["total", "", set, "", currency, t.debit, t.credit])
            }
        }
        return table
    }
}
