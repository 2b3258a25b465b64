-- Balances, kept by the database as entries are posted (DESIGN.md §2, invariant 7: derived data
-- that `dfc-ledger verify` recomputes from the lines).
--
-- Guarantees: every committed transaction leaves balance_day equal to the sums of the journal's
-- lines per account, fund, facility ('' for none), currency and effective day, and balance_month
-- equal to those sums per month for every month ever closed (and only those). A balance as of any
-- date is whole closed months from balance_month plus the days of the other months from
-- balance_day: its cost follows accounts, facilities and days, never the number of lines.
--
--   * A posting (one entry per statement) upserts its day rows at once, in key order, and its
--     month rows only when its month was closed before (accept_lines, 0003).
--   * A statement of several entries (an import's batch) adds its lines to balance_pending, and
--     balance_fold holds one row for a transaction that has any; its deferred trigger folds them
--     into balance_day and balance_month at commit, once per key: a row touched by every batch of
--     an import gets one new version, not one per batch. Whatever reads balances in the same
--     transaction first calls ledger.fold_balances() (LedgerStore does). The pending tables are
--     UNLOGGED: their rows never outlive the transaction that wrote them.
--   * A month's first close sums its day rows into its month rows. The close is safe against
--     postings under way: inserting the close takes the month's exclusive lock (0003), which waits
--     for every transaction holding its shared lock — every posting or batch into the month, to
--     its commit, balances folded — and the summing statement, run after it in the same READ
--     COMMITTED transaction, sees all of them.
--
-- Only the owner's triggers and functions write these tables.

SET LOCAL ROLE ledger_owner;

CREATE TABLE ledger.balance_month (
    account text NOT NULL,
    fund text NOT NULL,
    facility_id text NOT NULL,
    currency text NOT NULL,
    month date NOT NULL,
    debit_minor bigint NOT NULL,
    credit_minor bigint NOT NULL,
    PRIMARY KEY (account, fund, facility_id, currency, month)
);
ALTER TABLE ledger.balance_month SET (fillfactor = 50);

CREATE TABLE ledger.balance_day (
    account text NOT NULL,
    fund text NOT NULL,
    facility_id text NOT NULL,
    currency text NOT NULL,
    day date NOT NULL,
    debit_minor bigint NOT NULL,
    credit_minor bigint NOT NULL,
    PRIMARY KEY (account, fund, facility_id, currency, day)
);
ALTER TABLE ledger.balance_day SET (fillfactor = 70);
CREATE INDEX balance_day_day ON ledger.balance_day (day);

CREATE UNLOGGED TABLE ledger.balance_pending (
    account      text   NOT NULL,
    fund         text   NOT NULL,
    facility_id  text   NOT NULL,
    currency     text   NOT NULL,
    entry_id     bigint NOT NULL,
    debit_minor  bigint NOT NULL,
    credit_minor bigint NOT NULL
);
CREATE UNLOGGED TABLE ledger.balance_fold (xid xid8 PRIMARY KEY DEFAULT pg_current_xact_id());

-- The fold: the transaction's pending lines into day rows, and into month rows for months closed
-- before; returns how many pending rows it folded.
CREATE FUNCTION ledger.fold_balances() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET work_mem = '64MB' AS $$
DECLARE
    folded bigint;
BEGIN
    WITH pending AS (
        DELETE FROM ledger.balance_pending RETURNING *
    ), days AS MATERIALIZED (
        SELECT p.account, p.fund, p.facility_id, p.currency, e.effective_date AS day,
               sum(p.debit_minor) AS debit, sum(p.credit_minor) AS credit
          FROM pending p JOIN ledger.journal_entry e ON e.entry_id = p.entry_id
         GROUP BY 1, 2, 3, 4, 5
    ), months AS (
        INSERT INTO ledger.balance_month AS b (account, fund, facility_id, currency, month, debit_minor, credit_minor)
        SELECT g.account, g.fund, g.facility_id, g.currency, g.month, g.debit, g.credit
          FROM (SELECT account, fund, facility_id, currency, date_trunc('month', day)::date AS month, sum(debit) AS debit, sum(credit) AS credit
                  FROM days GROUP BY 1, 2, 3, 4, 5) g
         WHERE EXISTS (SELECT 1 FROM ledger.period_event p WHERE p.month = g.month AND p.action = 'close')
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
           SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
               credit_minor = b.credit_minor + EXCLUDED.credit_minor
    )
    INSERT INTO ledger.balance_day AS b (account, fund, facility_id, currency, day, debit_minor, credit_minor)
    SELECT account, fund, facility_id, currency, day, debit, credit
      FROM days
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (account, fund, facility_id, currency, day) DO UPDATE
       SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
           credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    GET DIAGNOSTICS folded = ROW_COUNT;
    RETURN folded;
END $$;

CREATE FUNCTION ledger.fold_balances_at_commit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    PERFORM ledger.fold_balances();
    DELETE FROM ledger.balance_fold WHERE xid = NEW.xid;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER balance_fold_at_commit AFTER INSERT ON ledger.balance_fold
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.fold_balances_at_commit();

-- Months with day rows that were never closed: their days are read one by one.
CREATE VIEW ledger.unsummarized_month AS
SELECT m::date AS month
  FROM generate_series(date_trunc('month', (SELECT min(day) FROM ledger.balance_day)::timestamp),
                       (SELECT max(day) FROM ledger.balance_day)::timestamp, interval '1 month') AS g(m)
 WHERE NOT EXISTS (SELECT 1 FROM ledger.period_event p WHERE p.month = g.m::date AND p.action = 'close');

-- A month's first close sums its day rows into its month rows.
CREATE FUNCTION ledger.summarize_month() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger.period_event p WHERE p.month = NEW.month AND p.action = 'close'
                                                     AND p.period_event_id <> NEW.period_event_id) THEN
        RETURN NULL;  -- closed before: its month rows are kept already
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'closing % needs a READ COMMITTED transaction: its balances are summed from what is committed once its lock is held',
            to_char(NEW.month, 'YYYY-MM') USING ERRCODE = 'LX002';
    END IF;
    INSERT INTO ledger.balance_month (account, fund, facility_id, currency, month, debit_minor, credit_minor)
    SELECT d.account, d.fund, d.facility_id, d.currency, NEW.month, sum(d.debit_minor), sum(d.credit_minor)
      FROM ledger.balance_day d
     WHERE d.day >= NEW.month AND d.day < (NEW.month + interval '1 month')::date
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4;
    RETURN NULL;
END $$;
CREATE TRIGGER period_event_summarize AFTER INSERT ON ledger.period_event
    FOR EACH ROW WHEN (NEW.action = 'close') EXECUTE FUNCTION ledger.summarize_month();

GRANT SELECT ON ledger.balance_month, ledger.balance_day, ledger.unsummarized_month TO ledger_officer, ledger_reporter, ledger_reconciler;
REVOKE EXECUTE ON FUNCTION ledger.fold_balances() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.fold_balances() TO ledger_officer;

RESET ROLE;  -- back to the migrating user, who records the migration
