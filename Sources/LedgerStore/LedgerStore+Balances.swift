import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// Balances as of an effective date and, optionally, as known at a recorded time: entries
    /// dated on or before `asOf` and recorded at or before `knownAt`. Only non-zero balances.
    ///
    /// Cost follows accounts and months, not history: whole months come from `balance_month`;
    /// only a partial month's lines and entries recorded after `knownAt` are read line by line.
    public func balances(asOf: CivilDate, knownAt: Instant? = nil, fund: String? = nil) throws -> [AccountBalance] {
        try connection.query(
            """
            WITH p AS (
                SELECT date_trunc('month', \(asOf)::date + 1)::date AS month_start, \(asOf)::date AS as_of,
                       \(knownAt)::timestamptz AS known_at, \(fund)::text AS fund
            ),
            movements AS (
                SELECT b.account, b.fund, b.currency, b.debit_minor - b.credit_minor AS net
                  FROM ledger.balance_month b, p
                 WHERE b.month < p.month_start AND (p.fund IS NULL OR b.fund = p.fund)
                UNION ALL
                -- The partial month after the last whole month, as known at the time.
                SELECT l.account, l.fund, l.currency,
                       CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END
                  FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id, p
                 WHERE e.effective_date >= p.month_start AND e.effective_date <= p.as_of
                   AND (p.known_at IS NULL OR e.recorded_at <= p.known_at)
                   AND (p.fund IS NULL OR l.fund = p.fund)
                UNION ALL
                -- Whole months include entries recorded after the time: take them out again.
                SELECT l.account, l.fund, l.currency,
                       CASE l.side WHEN 'debit' THEN -l.amount_minor ELSE l.amount_minor END
                  FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id, p
                 WHERE e.recorded_at > p.known_at AND e.effective_date < p.month_start
                   AND (p.fund IS NULL OR l.fund = p.fund)
            )
            SELECT account, fund, currency, sum(net)::bigint AS balance
              FROM movements
             GROUP BY account, fund, currency
            HAVING sum(net) <> 0
             ORDER BY account, fund, currency
            """
        ).map { row in
            AccountBalance(account: try row.decode(at: 0), fund: try row.decode(at: 1), currency: try row.decode(at: 2), balanceMinorUnits: try row.decode(at: 3))
        }
    }
}
