-- Month balances for closed months only (issue 5: Scripts/bench). Every posting upserted two month
-- rows and two day rows; counted with callgrind (2,000 postings in a single-user backend), the
-- month statement was 181k of a posting's 1,560k instructions. A month's balance_month rows
-- are now written when it is first closed, summed from its day rows, and kept from then on by
-- whatever is posted into it after a reopen; a month never closed has day rows only. Readers
-- take whole months from balance_month for closed months and day rows for the rest (the view
-- ledger.unsummarized_month lists the months that have day rows and were never closed), so a
-- balance's cost still follows accounts, facilities and the days of months not yet closed, and
-- `verify` recomputes month rows for closed months only.
--
-- The close is safe against postings under way: inserting the close takes the month's exclusive
-- lock (0002), which waits for every transaction holding its shared lock — every posting or batch
-- into the month, to its commit, balances folded — and the summing statement, run after it in
-- the same READ COMMITTED transaction, sees all of them. A posting after the close cannot enter
-- the month until it is reopened, and then finds a close in its history and keeps its month rows.

-- Month rows of months never closed go: from here on they exist only for closed months.
DELETE FROM ledger.balance_month b
 WHERE NOT EXISTS (SELECT 1 FROM ledger.period_event p WHERE p.month = b.month AND p.action = 'close');

-- Months with day rows that were never closed: their days are read one by one.
CREATE VIEW ledger.unsummarized_month AS
SELECT m::date AS month
  FROM generate_series(date_trunc('month', (SELECT min(day) FROM ledger.balance_day)::timestamp),
                       (SELECT max(day) FROM ledger.balance_day)::timestamp, interval '1 month') AS g(m)
 WHERE NOT EXISTS (SELECT 1 FROM ledger.period_event p WHERE p.month = g.m::date AND p.action = 'close');
ALTER VIEW ledger.unsummarized_month OWNER TO ledger_owner;
GRANT SELECT ON ledger.unsummarized_month TO ledger_officer, ledger_reporter, ledger_reconciler;

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
ALTER FUNCTION ledger.summarize_month() OWNER TO ledger_owner;
CREATE TRIGGER period_event_summarize AFTER INSERT ON ledger.period_event
    FOR EACH ROW WHEN (NEW.action = 'close') EXECUTE FUNCTION ledger.summarize_month();

-- The fold (0015, 0018): month rows only for months closed before.
CREATE OR REPLACE FUNCTION ledger.fold_balances() RETURNS bigint
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

-- Lines, per statement (0017): a checked one-entry posting reads its month's latest event as
-- before, and upserts month rows only when that event is a reopen (the month was closed once).
CREATE OR REPLACE FUNCTION ledger.accept_lines() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s record;
    bad record;
    m date;
    lock_months date[];
    reversing boolean;
    checked boolean := false;
    -- The one-entry loop: its first line, how many lines and the highest line number, each account
    -- set's sum (debits − credits), the balance keys seen, and the entry's date once checked.
    line record;
    first record;
    n integer := 0;
    top integer := 0;
    proprietary bigint := 0;
    budgetary bigint := 0;
    memorandum bigint := 0;
    one_entry boolean := true;
    keys text[] := '{}';
    distinct_keys boolean := true;
    entry_day date;
    month_action text;
BEGIN
    FOR line IN SELECT l.entry_id, l.line_no, l.account, l.fund, coalesce(l.facility_id, '') AS facility_id, l.currency,
                       CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END AS signed, a.account_set
                  FROM new_lines l
                  LEFT JOIN LATERAL (SELECT a.account_set FROM ledger.account a WHERE a.number = l.account OFFSET 0) a ON true LOOP
        IF n = 0 THEN
            first := line;
        ELSIF line.entry_id <> first.entry_id OR line.fund <> first.fund OR line.currency <> first.currency THEN
            one_entry := false;
            EXIT;
        END IF;
        n := n + 1;
        top := greatest(top, line.line_no);
        CASE line.account_set
            WHEN 'proprietary' THEN proprietary := proprietary + line.signed;
            WHEN 'budgetary' THEN budgetary := budgetary + line.signed;
            WHEN 'memorandum' THEN memorandum := memorandum + line.signed;
            ELSE one_entry := false; EXIT;  -- not in the chart
        END CASE;
        IF distinct_keys THEN
            distinct_keys := NOT (line.account || ' ' || line.facility_id) = ANY (keys);
            keys := keys || (line.account || ' ' || line.facility_id);
        END IF;
    END LOOP;
    IF n = 0 THEN
        RETURN NULL;  -- a statement that inserted no line
    END IF;
    -- One entry, one fund, one currency, each account set summing to zero: then the entry's own
    -- rules (with no reversed date, a reversal is left to the general query) and its fund decide.
    IF one_entry AND proprietary = 0 AND budgetary = 0 AND memorandum = 0 THEN
        SELECT ledger.entry_problem(j.entry_id, j.recorded_xid, j.recorded_by, j.recorded_at, j.line_count, j.effective_date,
                                    j.reverses, NULL, n, top) IS NULL
               AND EXISTS (SELECT 1 FROM ledger.fund f WHERE f.code = first.fund),
               j.effective_date
          INTO checked, entry_day
          FROM ledger.journal_entry j
         WHERE j.entry_id = first.entry_id;
        checked := coalesce(checked, false);
    END IF;
    IF checked THEN
        lock_months := ARRAY[date_trunc('month', entry_day)::date];
        reversing := false;
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
    IF checked THEN
        -- One month: its latest event also says whether its month rows are kept (closed once, reopened).
        SELECT p.action INTO month_action FROM ledger.period_event p
         WHERE p.month = lock_months[1] ORDER BY p.period_event_id DESC LIMIT 1;
        m := CASE month_action WHEN 'close' THEN lock_months[1] END;
    ELSE
        SELECT x.m INTO m FROM unnest(lock_months) AS x(m)
         WHERE (SELECT p.action FROM ledger.period_event p WHERE p.month = x.m ORDER BY p.period_event_id DESC LIMIT 1) = 'close'
         LIMIT 1;
    END IF;
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

    -- The balances: a checked entry's, line by line (its keys are distinct), its month rows only if
    -- its month was ever closed (then months before days, in key order); any other statement's
    -- through balance_pending, folded at commit or before a read (0015; the fold above).
    IF checked AND distinct_keys THEN
        IF month_action IS NOT NULL THEN
            INSERT INTO ledger.balance_month AS b (account, fund, facility_id, currency, month, debit_minor, credit_minor)
            SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, lock_months[1],
                   CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END, CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END
              FROM new_lines l
             ORDER BY 1, 2, 3, 4
            ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
               SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
                   credit_minor = b.credit_minor + EXCLUDED.credit_minor;
        END IF;
        INSERT INTO ledger.balance_day AS b (account, fund, facility_id, currency, day, debit_minor, credit_minor)
        SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, entry_day,
               CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END, CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END
          FROM new_lines l
         ORDER BY 1, 2, 3, 4
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
