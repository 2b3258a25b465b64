import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// Balances as of an effective date and, optionally, as known at a recorded time: entries
    /// dated on or before `asOf` and recorded at or before `knownAt`. Only non-zero balances,
    /// optionally only for one fund, one account and one facility.
    ///
    /// Cost follows accounts and facilities, not the journal nor the month's activity (`balanceRows`).
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
    /// only, read through `db` (an event context reads them inside its own transaction), in one
    /// statement: its summaries and the entries past their watermark agree (Schema/0012_summaries.sql).
    ///
    /// As of `.latest`: the all-time totals and the entries past the watermark. As of a date: the
    /// totals, less the months from the date's on, plus that month's running sums up to the date
    /// (`SummarizedRead`). So the cost follows the keys (accounts × funds × facilities) and the
    /// months after the date, never the lines: a busy month open or closed costs the same.
    static func balanceRows(
        _ db: Connection, asOf: CivilDate, knownAt: Instant? = nil, fund: String? = nil, account: String? = nil, facility: String? = nil,
        byFacility: Bool, accounts: [String]? = nil
    ) throws -> Rows {
        // The keys asked for, written into the statement only when asked: a filter that may be
        // null keeps the planner from the keys' indexes and costs a branch it never takes.
        func keys(_ alias: String, lines: Bool = false) -> SQL {
            var filter: SQL = ""
            if let fund { filter = filter + " AND \(unsafeSQL: alias).fund = \(fund)" }
            if let account { filter = filter + " AND \(unsafeSQL: alias).account = \(account)" }
            if let facility { filter = filter + " AND \(unsafeSQL: alias).facility_id = \(facility)" }
            if byFacility { filter = filter + (lines ? " AND \(unsafeSQL: alias).facility_id IS NOT NULL" : " AND \(unsafeSQL: alias).facility_id <> ''") }
            if let accounts { filter = filter + " AND \(unsafeSQL: alias).account = ANY (\(ArrayLiteral(accounts).literal)::text[])" }
            return filter
        }
        let read = SummarizedRead(asOf)
        let summaries = read.rows(
            of: "balance", key: ["account", "fund", "currency", "facility_id"], columns: ["debit_minor", "credit_minor"],
            values: ["net": "debit_minor - credit_minor"], keys: { keys($0) })
        // As known at a time: take out what was recorded later (only those entries are read).
        let recordedLater: SQL =
            knownAt == nil
            ? ""
            : """
                UNION ALL
                SELECT l.account, l.fund, l.currency, coalesce(l.facility_id, ''),
                       CASE l.side WHEN 'debit' THEN -l.amount_minor ELSE l.amount_minor END
                  FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id
                 WHERE e.recorded_at > \(knownAt)::timestamptz AND e.effective_date <= \(asOf)::date \(keys("l", lines: true))
                """
        let query: SQL =
            """
            WITH movements AS (
            """
            + summaries
            + """

                UNION ALL
                SELECT u.account, u.fund, u.currency, u.facility_id, u.net
                  FROM ledger.unsummarized_lines(\(read.pastWatermarkBefore)::date) u WHERE true \(keys("u"))

            """
            + recordedLater
            + """
            )
            SELECT account, fund, currency, \(unsafeSQL: byFacility ? "facility_id" : "''") AS facility, sum(net)::bigint AS balance
              FROM movements
             GROUP BY 1, 2, 3, 4
            HAVING sum(net) <> 0
             ORDER BY 4, 1, 2, 3
            """
        return try db.query(query)
    }
}

/// How a read as of a date is assembled from the summaries kept up to the watermark (the totals,
/// and the month rows with their days' running sums), so that it reads neither the lines nor a
/// busy month's days (Schema/0012_summaries.sql, 0016). Balances and event sums are read the same way.
struct SummarizedRead {
    var asOf: CivilDate
    /// The date's month, the first months taken away (nil: a read as of `.latest`, all time).
    var month: CivilDate?

    init(_ asOf: CivilDate) {
        self.asOf = asOf
        month = asOf == .latest ? nil : YearMonth(asOf).firstDay
    }

    /// The summary rows the read takes, as one UNION ALL: `<kind>_total`, less `<kind>_month`
    /// from the date's month on, plus that month's running sums up to the date (element `day` of
    /// each `day_<column>`). Each row is its `key` columns and its `values` (name: expression over
    /// one row's `columns`), negated where taken away; `keys(alias)` narrows to the keys asked for.
    func rows(of kind: String, key: [String], columns: [String], values: KeyValuePairs<String, String>, keys: (String) -> SQL) -> SQL {
        func select(_ alias: String, from source: SQL, negated: Bool) -> SQL {
            let figures = values.map { "\(negated ? "-" : "")(\($0.value)) AS \($0.key)" }.joined(separator: ", ")
            return "SELECT \(unsafeSQL: key.joined(separator: ", ")), \(unsafeSQL: figures) FROM \(source) \(unsafeSQL: alias) WHERE true \(keys(alias))"
        }
        var rows = select("t", from: "ledger.\(unsafeSQL: kind)_total", negated: false)
        if let month {
            rows += "\nUNION ALL\n" + select("m", from: "ledger.\(unsafeSQL: kind)_month", negated: true) + " AND m.month >= \(month)::date"
            let running = (key.map { "r.\($0)" } + columns.map { "r.day_\($0)[\(asOf.day)] AS \($0)" }).joined(separator: ", ")
            rows += "\nUNION ALL\n"
                + select("d", from: "(SELECT \(unsafeSQL: running) FROM ledger.\(unsafeSQL: kind)_month r WHERE r.month = \(month)::date)", negated: false)
        }
        return rows
    }

    /// The summaries stop at the watermark: of the entries past it, the lines and events dated
    /// before this day count (nil: all of them).
    var pastWatermarkBefore: CivilDate? { asOf == .latest ? nil : asOf.adding(days: 1) }
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
