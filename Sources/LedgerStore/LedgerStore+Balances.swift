import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// Balances as of an effective date and, optionally, as known at a recorded time: entries
    /// dated on or before `asOf` and recorded at or before `knownAt`. Only non-zero balances,
    /// optionally only for one fund, one account and one facility.
    ///
    /// Cost follows accounts, facilities and days, not history: whole closed months come from
    /// `balance_month`, the days of a partial month and of months never closed from
    /// `balance_day`; only entries recorded after `knownAt` are read line by line.
    public func balances(
        asOf: CivilDate, knownAt: Instant? = nil, fund: String? = nil, account: String? = nil, facility: String? = nil
    ) throws -> [AccountBalance] {
        try Self.balanceRows(connection, asOf: asOf, knownAt: knownAt, fund: fund, account: account, facility: facility, byFacility: false).map { row in
            AccountBalance(account: try row.decode(at: 0), fund: try row.decode(at: 1), currency: try row.decode(at: 2), balanceMinorUnits: try row.decode(at: 4))
        }
    }

    /// Balances per facility, account, fund and currency (facility lines only), as of a date and
    /// as known at a time: what the exposure report reads. Same cost model as `balances`.
    public func facilityBalances(asOf: CivilDate, knownAt: Instant? = nil, accounts: [String]? = nil) throws -> [FacilityBalance] {
        try Self.balanceRows(connection, asOf: asOf, knownAt: knownAt, fund: nil, account: nil, facility: nil, byFacility: true, accounts: accounts).map { row in
            FacilityBalance(
                facilityID: try row.decode(at: 3), account: try row.decode(at: 0), fund: try row.decode(at: 1), currency: try row.decode(at: 2),
                balanceMinorUnits: try row.decode(at: 4))
        }
    }

    /// Rows of (account, fund, currency, facility or '' unless `byFacility`, balance), non-zero
    /// only, read through `db` (an event context reads them inside its own transaction).
    static func balanceRows(
        _ db: Connection, asOf: CivilDate, knownAt: Instant? = nil, fund: String? = nil, account: String? = nil, facility: String? = nil,
        byFacility: Bool, accounts: [String]? = nil
    ) throws -> Rows {
        let accountList = accounts?.joined(separator: ",")
        // As known at a time: take out what was recorded later (only those entries are read).
        // Left out of the query altogether without `knownAt`: even a branch that finds nothing is
        // costed by the planner from the journal's size, and at 10M lines that cost switched on
        // JIT compilation (measured: 23 ms at 1M lines, 60 ms at 10M, 48 ms with JIT off).
        let recordedLater: SQL =
            knownAt == nil
            ? ""
            : """
                UNION ALL
                SELECT l.account, l.fund, l.currency, coalesce(l.facility_id, ''),
                       CASE l.side WHEN 'debit' THEN -l.amount_minor ELSE l.amount_minor END
                  FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id, p
                 WHERE e.recorded_at > p.known_at AND e.effective_date <= p.as_of
                   AND (p.fund IS NULL OR l.fund = p.fund)
                   AND (p.account IS NULL OR l.account = p.account) AND (p.facility IS NULL OR l.facility_id = p.facility)
                   AND (NOT p.by_facility OR l.facility_id IS NOT NULL) AND (p.accounts IS NULL OR l.account = ANY (p.accounts))
                """
        let query: SQL =
            """
            WITH p AS (
                SELECT date_trunc('month', \(asOf)::date + 1)::date AS month_start, \(asOf)::date AS as_of,
                       \(knownAt)::timestamptz AS known_at, \(fund)::text AS fund,
                       \(account)::text AS account, \(facility)::text AS facility, \(byFacility)::boolean AS by_facility,
                       string_to_array(\(accountList)::text, ',') AS accounts
            ),
            -- Months never closed before the partial month have no month rows: their days are read.
            -- Materialized: inlined, its list was costed as a subquery per day row, and that cost
            -- switched on JIT compilation (~28 ms at 1M lines).
            q AS MATERIALIZED (
                SELECT p.*, least(p.month_start, o.months[1]) AS first_day, o.months AS open_months
                  FROM p, LATERAL (SELECT ARRAY(SELECT u.month FROM ledger.unsummarized_month u WHERE u.month < p.month_start ORDER BY 1) AS months) o
            ),
            movements AS (
                SELECT b.account, b.fund, b.currency, b.facility_id, b.debit_minor - b.credit_minor AS net
                  FROM ledger.balance_month b, p
                 WHERE b.month < p.month_start AND (p.fund IS NULL OR b.fund = p.fund)
                   AND (p.account IS NULL OR b.account = p.account) AND (p.facility IS NULL OR b.facility_id = p.facility)
                   AND (NOT p.by_facility OR b.facility_id <> '') AND (p.accounts IS NULL OR b.account = ANY (p.accounts))
                UNION ALL
                -- The partial month and months never closed, day by day: with past months closed, at
                -- most a month of days per key, whatever the history.
                SELECT d.account, d.fund, d.currency, d.facility_id, d.debit_minor - d.credit_minor
                  FROM ledger.balance_day d, q p
                 WHERE d.day >= p.first_day AND d.day <= p.as_of
                   AND (d.day >= p.month_start OR date_trunc('month', d.day)::date = ANY (p.open_months))
                   AND (p.fund IS NULL OR d.fund = p.fund)
                   AND (p.account IS NULL OR d.account = p.account) AND (p.facility IS NULL OR d.facility_id = p.facility)
                   AND (NOT p.by_facility OR d.facility_id <> '') AND (p.accounts IS NULL OR d.account = ANY (p.accounts))

            """
            + recordedLater
            + """
            )
            SELECT account, fund, currency, CASE WHEN (SELECT by_facility FROM p) THEN facility_id ELSE '' END AS facility, sum(net)::bigint AS balance
              FROM movements
             GROUP BY 1, 2, 3, 4
            HAVING sum(net) <> 0
             ORDER BY 4, 1, 2, 3
            """
        return try db.query(query)
    }
}

extension LedgerStore {
    /// Streams the lines on `account` dated from `from` to `to` (inclusive; nil for no bound) and
    /// recorded by `knownAt`, optionally only one fund's or one facility's, in effective date,
    /// entry and line order. Memory stays constant however long the register is.
    public func register(
        account: String, fund: String? = nil, facility: String? = nil, from: CivilDate?, to: CivilDate, knownAt: Instant? = nil,
        _ body: (RegisterLine) throws -> Void
    ) throws {
        try connection.stream(
            """
            WITH p AS (
                SELECT \(fund)::text AS fund, \(facility)::text AS facility, \(from)::date AS from_date, \(to)::date AS to_date,
                       \(knownAt)::timestamptz AS known_at
            )
            SELECT e.entry_id, e.event_key, e.effective_date, e.recorded_at, e.description,
                   l.fund, l.facility_id, l.side, l.amount_minor, l.currency
              FROM ledger.journal_line l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id, p
             WHERE l.account = \(account)
               AND (p.fund IS NULL OR l.fund = p.fund) AND (p.facility IS NULL OR l.facility_id = p.facility)
               AND (p.from_date IS NULL OR e.effective_date >= p.from_date) AND e.effective_date <= p.to_date
               AND (p.known_at IS NULL OR e.recorded_at <= p.known_at)
             ORDER BY e.effective_date, e.entry_id, l.line_no
            """
        ) { row in
            try body(
                RegisterLine(
                    entryID: try row.decode(at: 0), eventKey: try row.decode(at: 1), effectiveDate: try row.decode(at: 2),
                    recordedAt: try row.decode(at: 3), description: try row.decode(at: 4),
                    line: JournalLine(
                        account: account, fund: try row.decode(at: 5), facility: try row.decode(at: 6), side: try row.decode(at: 7),
                        amount: Money(minorUnits: try row.decode(at: 8), currency: try Currency.named(try row.decode(at: 9))))))
        }
    }
}

extension LedgerStore {
    /// Every (account, fund, facility) and every currency that has lines: what an export declares.
    public func postedKeys() throws -> (accounts: [(account: String, fund: String, facility: String?)], currencies: [String]) {
        let accounts = try connection.query(
            "SELECT DISTINCT account, fund, facility_id FROM ledger.journal_line ORDER BY 1, 2, 3"
        ).map { row in (account: try row.decode(String.self, at: 0), fund: try row.decode(String.self, at: 1), facility: try row.decode(String?.self, at: 2)) }
        let currencies = try connection.query("SELECT DISTINCT currency FROM ledger.journal_line ORDER BY 1").map { try $0.decode(String.self, at: 0) }
        return (accounts, currencies)
    }

    /// Streams every entry in effective date and entry order, with its seal when it has one.
    public func allEntries(_ body: (PostedEntry, _ seal: (chainSeq: Int64, sha256: String)?) throws -> Void) throws {
        try Self.streamEntries(
            from: "SELECT e.*, s.chain_seq, s.previous_sha256, s.sha256 FROM ledger.journal_entry e LEFT JOIN ledger.entry_seal s ON s.entry_id = e.entry_id",
            order: "e.effective_date, e.entry_id", withSeals: true, connection
        ) { streamed in
            try body(streamed.entry.posted, streamed.seal.map { ($0.chainSeq, $0.sha256) })
        }
    }
}

extension CivilDate {
    /// The last date an entry can carry (the journal's date rule): a balance as of it covers
    /// every entry.
    static let latest = CivilDate(year: 9999, month: 12, day: 31)!
}
