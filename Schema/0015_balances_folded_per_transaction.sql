-- Balances of a batch folded once per transaction (issue 5: Scripts/bench). An import is one
-- transaction, written in batches of 5,000 events; each batch upserted the balance rows it touched,
-- and a row touched by every batch got a new version each time — versions that nothing can prune
-- while the transaction runs, so each batch walked longer chains than the one before (a 100,000-
-- event import's batches: 0.27 s for the first balance statement, 0.55 s for the twentieth; a
-- 300,000-event import took 72.0 s with the balances and 45.0 s with them left out).
--
-- Now a statement with several entries adds its lines' amounts (key and entry) to balance_pending,
-- and balance_fold holds one row for a transaction that has any; its deferred trigger folds them
-- into balance_month and balance_day at commit (dated by their entries), once per key. Whatever
-- reads balances in the same transaction first calls ledger.fold_balances() (LedgerStore does). A
-- statement with one entry — every posting — still writes its balances at once. Nothing else
-- changes: the journal's checks run per statement as before, and a committed transaction leaves no
-- pending rows, so committed balances always equal the journal (`verify` checks).
--
-- The pending tables are UNLOGGED: their rows never outlive the transaction that wrote them, so
-- they need no WAL; any other transaction's pending rows are invisible to the fold.

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
ALTER TABLE ledger.balance_pending OWNER TO ledger_owner;
ALTER TABLE ledger.balance_fold OWNER TO ledger_owner;

-- Folds this transaction's pending amounts into the balance tables, in one statement: one upsert
-- per month row and per day row, in key order. Returns the number of day rows it wrote.
CREATE FUNCTION ledger.fold_balances() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
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
        SELECT account, fund, facility_id, currency, date_trunc('month', day)::date, sum(debit), sum(credit)
          FROM days
         GROUP BY 1, 2, 3, 4, 5
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

-- Lines, per statement: as in 0014, but for where a batch's balances go (above).
CREATE OR REPLACE FUNCTION ledger.accept_lines() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s record;
    bad record;
    m date;
    q record;
    lock_months date[];
    reversing boolean;
    checked boolean := false;
BEGIN
    -- One entry, one fund, one currency, every account known, each account set summing to zero:
    -- then that entry's own rules, and its fund, decide.
    SELECT min(l.entry_id) AS lo, max(l.entry_id) AS hi, count(*) AS n, max(l.line_no) AS top, count(a.number) AS known,
           min(l.fund) AS fund, max(l.fund) AS fund_hi, min(l.currency) AS currency, max(l.currency) AS currency_hi,
           coalesce(sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) FILTER (WHERE a.account_set = 'proprietary'), 0) = 0
           AND coalesce(sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) FILTER (WHERE a.account_set = 'budgetary'), 0) = 0
           AND coalesce(sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) FILTER (WHERE a.account_set = 'memorandum'), 0) = 0
           AS balanced
      INTO q
      FROM new_lines l LEFT JOIN ledger.account a ON a.number = l.account;
    IF q.lo = q.hi AND q.fund = q.fund_hi AND q.currency = q.currency_hi AND q.known = q.n AND q.balanced THEN
        SELECT ledger.entry_problem(j.entry_id, j.recorded_xid, j.recorded_by, j.recorded_at, j.line_count, j.effective_date,
                                    j.reverses, o.effective_date, q.n, q.top) IS NULL
               AND EXISTS (SELECT 1 FROM ledger.fund f WHERE f.code = q.fund),
               ARRAY[date_trunc('month', j.effective_date)::date], j.reverses IS NOT NULL
          INTO checked, lock_months, reversing
          FROM ledger.journal_entry j LEFT JOIN ledger.journal_entry o ON o.entry_id = j.reverses
         WHERE j.entry_id = q.lo;
        checked := coalesce(checked, false);
    END IF;

    IF NOT checked THEN
        -- One pass over the statement's lines for everything that does not need a lock: the first bad
        -- reference, the first bad entry, the first unbalanced entry, the months, whether any reverses.
        WITH lines AS MATERIALIZED (
            SELECT l.entry_id, l.line_no, l.account, l.fund, l.currency, a.account_set, f.code AS known_fund,
                   CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END AS signed
              FROM new_lines l LEFT JOIN ledger.account a ON a.number = l.account LEFT JOIN ledger.fund f ON f.code = l.fund
        ), entries AS MATERIALIZED (
            SELECT c.entry_id, c.n, c.top, e.event_key, e.line_count, e.reverses, e.effective_date,
                   ledger.entry_problem(e.entry_id, e.recorded_xid, e.recorded_by, e.recorded_at, e.line_count, e.effective_date,
                                        e.reverses, e.reversed_date, c.n, c.top) AS problem
              FROM (SELECT entry_id, count(*) AS n, max(line_no) AS top FROM lines GROUP BY entry_id) c
              LEFT JOIN LATERAL (SELECT j.*, o.effective_date AS reversed_date
                                   FROM ledger.journal_entry j LEFT JOIN ledger.journal_entry o ON o.entry_id = j.reverses
                                  WHERE j.entry_id = c.entry_id OFFSET 0) e ON true
        )
        SELECT r.ref_entry, r.ref_line, r.ref_account, r.ref_fund, r.account_set IS NULL AS ref_is_account,
               p.entry_id, p.event_key, p.line_count, p.n, p.reverses, p.effective_date, p.problem,
               b.b_entry, b.b_set, b.b_fund, b.b_currency, b.difference,
               (SELECT array_agg(DISTINCT date_trunc('month', x.effective_date)::date ORDER BY date_trunc('month', x.effective_date)::date) FROM entries x) AS months,  -- in lock order
               (SELECT bool_or(x.reverses IS NOT NULL) FROM entries x) AS reversing
          INTO s
          FROM (SELECT) one
          LEFT JOIN LATERAL (SELECT l.entry_id AS ref_entry, l.line_no AS ref_line, l.account AS ref_account, l.fund AS ref_fund, l.account_set
                               FROM lines l WHERE l.account_set IS NULL OR l.known_fund IS NULL
                              ORDER BY l.entry_id, l.line_no LIMIT 1) r ON true
          LEFT JOIN LATERAL (SELECT * FROM entries e WHERE e.problem IS NOT NULL ORDER BY e.entry_id LIMIT 1) p ON true
          LEFT JOIN LATERAL (SELECT l.entry_id AS b_entry, l.account_set AS b_set, l.fund AS b_fund, l.currency AS b_currency, sum(l.signed) AS difference
                               FROM lines l
                              GROUP BY GROUPING SETS ((l.entry_id, l.account_set, l.currency), (l.entry_id, l.fund, l.currency))
                             HAVING sum(l.signed) <> 0
                              ORDER BY l.entry_id, l.account_set IS NULL LIMIT 1) b ON true;

        IF s.ref_entry IS NOT NULL AND s.ref_is_account THEN
            RAISE EXCEPTION 'line % of entry % names account %, which is not in the chart of accounts', s.ref_line, s.ref_entry, s.ref_account
                USING ERRCODE = 'foreign_key_violation';
        ELSIF s.ref_entry IS NOT NULL THEN
            RAISE EXCEPTION 'line % of entry % names fund %, which is not a fund of the ledger', s.ref_line, s.ref_entry, s.ref_fund
                USING ERRCODE = 'foreign_key_violation';
        ELSIF s.problem = 'no entry' THEN
            RAISE EXCEPTION 'lines name entry %, which does not exist', s.entry_id USING ERRCODE = 'foreign_key_violation';
        ELSIF s.problem = 'another transaction' THEN
            RAISE EXCEPTION 'entry % (%) was recorded by another transaction: lines cannot be added to it', s.entry_id, s.event_key
                USING ERRCODE = 'LX001', HINT = 'correct an entry by reversing it and posting a new one';
        ELSIF s.problem = 'server-set' THEN
            RAISE EXCEPTION 'entry % sets recorded_at, recorded_by or recorded_xid: the server sets them', s.event_key
                USING ERRCODE = 'LX006';
        ELSIF s.problem = 'line count' THEN
            RAISE EXCEPTION 'entry % (%) declares % lines numbered 1 to %, and one statement must insert all of them (this one has %)',
                s.entry_id, s.event_key, s.line_count, s.line_count, s.n USING ERRCODE = 'LX001';
        ELSIF s.problem = 'reverses' THEN
            RAISE EXCEPTION 'entry % cannot reverse entry %: it does not exist or is dated after %', s.event_key, s.reverses, s.effective_date
                USING ERRCODE = 'LX004';
        END IF;
        IF s.b_set IS NOT NULL THEN
            RAISE EXCEPTION 'entry % (%) does not balance: % % lines differ by % minor units (debits − credits)',
                s.b_entry, (SELECT event_key FROM ledger.journal_entry WHERE entry_id = s.b_entry), s.b_set, s.b_currency,
                s.difference USING ERRCODE = 'LX001';
        ELSIF s.b_entry IS NOT NULL THEN
            RAISE EXCEPTION 'entry % (%) does not balance within fund %: % lines differ by % minor units (debits − credits)',
                s.b_entry, (SELECT event_key FROM ledger.journal_entry WHERE entry_id = s.b_entry), s.b_fund, s.b_currency,
                s.difference USING ERRCODE = 'LX001';
        END IF;
        lock_months := s.months;
        reversing := s.reversing;
    END IF;

    -- An entry can never slip into a month that is being closed: each month's lock (shared, in
    -- month order), then its state read afresh (each statement here takes a new snapshot).
    FOREACH m IN ARRAY coalesce(lock_months, '{}') LOOP
        PERFORM pg_advisory_xact_lock_shared(7306001, ledger.month_lock_key(m));
    END LOOP;
    SELECT x.m INTO m FROM unnest(lock_months) AS x(m)
     WHERE (SELECT p.action FROM ledger.period_event p WHERE p.month = x.m ORDER BY p.period_event_id DESC LIMIT 1) = 'close'
     LIMIT 1;
    IF m IS NOT NULL THEN
        SELECT e.event_key, e.effective_date INTO bad
          FROM (SELECT DISTINCT l.entry_id FROM new_lines l) n,
               LATERAL (SELECT * FROM ledger.journal_entry j WHERE j.entry_id = n.entry_id OFFSET 0) e
         WHERE date_trunc('month', e.effective_date)::date = m ORDER BY e.entry_id LIMIT 1;
        RAISE EXCEPTION 'period % is closed: entry % is dated %', to_char(m, 'YYYY-MM'), bad.event_key, bad.effective_date
            USING ERRCODE = 'LX002', HINT = 'reopen the period with a reason, or date the entry in an open month';
    END IF;

    -- A reversal mirrors every line of its original.
    IF reversing THEN
        FOR bad IN SELECT e.entry_id, e.event_key, e.reverses FROM (SELECT DISTINCT l.entry_id FROM new_lines l) n,
                          LATERAL (SELECT * FROM ledger.journal_entry j WHERE j.entry_id = n.entry_id OFFSET 0) e
                    WHERE e.reverses IS NOT NULL LOOP
            IF EXISTS (
                (SELECT account, fund, facility_id, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, amount_minor, currency
                   FROM ledger.journal_line WHERE entry_id = bad.reverses
                 EXCEPT ALL
                 SELECT account, fund, facility_id, side, amount_minor, currency FROM new_lines WHERE entry_id = bad.entry_id)
                UNION ALL
                (SELECT account, fund, facility_id, side, amount_minor, currency FROM new_lines WHERE entry_id = bad.entry_id
                 EXCEPT ALL
                 SELECT account, fund, facility_id, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, amount_minor, currency
                   FROM ledger.journal_line WHERE entry_id = bad.reverses))
            THEN
                RAISE EXCEPTION 'entry % (%) does not reverse every line of entry % exactly', bad.entry_id, bad.event_key, bad.reverses
                    USING ERRCODE = 'LX004';
            END IF;
        END LOOP;
    END IF;

    -- The balances. One entry (every posting): its month and day rows now, in one statement. Several
    -- entries (a batch of an import or a month-end): their lines' amounts wait in
    -- balance_pending until the transaction commits or reads them (ledger.fold_balances), so that
    -- a balance row a file touches in every batch is written once, not once per batch.
    IF q.lo = q.hi THEN
        WITH dated AS (
            SELECT l.account, l.fund, coalesce(l.facility_id, '') AS facility_id, l.currency, e.effective_date,
                   CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END AS debit,
                   CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END AS credit
              FROM new_lines l, LATERAL (SELECT j.effective_date FROM ledger.journal_entry j WHERE j.entry_id = l.entry_id OFFSET 0) e
        ), months AS (
            INSERT INTO ledger.balance_month AS b (account, fund, facility_id, currency, month, debit_minor, credit_minor)
            SELECT account, fund, facility_id, currency, date_trunc('month', effective_date)::date, sum(debit), sum(credit)
              FROM dated
             GROUP BY 1, 2, 3, 4, 5
             ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
               SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
                   credit_minor = b.credit_minor + EXCLUDED.credit_minor
        )
        INSERT INTO ledger.balance_day AS b (account, fund, facility_id, currency, day, debit_minor, credit_minor)
        SELECT account, fund, facility_id, currency, effective_date, sum(debit), sum(credit)
          FROM dated
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (account, fund, facility_id, currency, day) DO UPDATE
           SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
               credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    ELSE
        INSERT INTO ledger.balance_pending (account, fund, facility_id, currency, entry_id, debit_minor, credit_minor)
        SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, l.entry_id,
               CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END, CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END
          FROM new_lines l;
        INSERT INTO ledger.balance_fold DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

ALTER FUNCTION ledger.fold_balances() OWNER TO ledger_owner;
ALTER FUNCTION ledger.fold_balances_at_commit() OWNER TO ledger_owner;
REVOKE EXECUTE ON FUNCTION ledger.fold_balances() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.fold_balances() TO ledger_officer;
