-- Day balances kept by the summarizer, off the posting path (issue 21): a posting writes its
-- entry, its lines and its event, and nothing derived from them.
--
-- Before, every posting upserted its day rows (balance_day) in its own transaction, and a batch's
-- amounts waited in balance_pending to be folded at commit. Measured with pgbench on 2026-12-06
-- (median of five interleaved rounds, 1 and 8 clients), the posting function reached 0.56x and
-- 0.66x of TPC-B with them and 0.75x and 0.80x without; the rows alone, 0.71x and 0.73x with them,
-- 1.12x and 1.11x without. No rule reads a day row at once: the checks read "as of now", the
-- all-time rows and the entries past the watermark.
--
-- Now the summarizer keeps balance_day as it keeps the month and all-time rows: up to its
-- watermark, in the same statement (0012, 0014). A read as of a date takes the summaries and the
-- lines of the entries past the watermark dated by then (`unsummarized_lines`, which now also
-- gives each line's date), as the event sums were read already.
--
-- Guarantees: balance_day, balance_month and balance_total hold the lines of the entries up to the
-- watermark, exactly (`verify` recomputes them); a transaction writes no summary row.

SET LOCAL ROLE ledger_owner;

DROP TRIGGER balance_fold_at_commit ON ledger.balance_fold;
DROP FUNCTION ledger.fold_balances_at_commit();
DROP FUNCTION ledger.fold_balances();
DROP TABLE ledger.balance_pending, ledger.balance_fold;

-- The lines' checks, without the day rows (0012 otherwise).
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
    -- set's sum (debits − credits), and the entry's date once checked.
    line record;
    first record;
    n integer := 0;
    top integer := 0;
    proprietary bigint := 0;
    budgetary bigint := 0;
    memorandum bigint := 0;
    one_entry boolean := true;
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
        -- One month: closed when its latest event is a close.
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

    RETURN NULL;
END $$;

-- The lines of the entries past the watermark dated before `before` (null: all), with their date.
DROP FUNCTION ledger.unsummarized_lines(date);
CREATE FUNCTION ledger.unsummarized_lines(before date)
RETURNS TABLE (account text, fund text, currency text, facility_id text, net bigint, day date)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, ledger SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    w ledger.summary_position;
BEGIN
    SELECT * INTO w FROM ledger.summary_position;
    RETURN QUERY
    SELECT l.account, l.fund, l.currency::text, coalesce(l.facility_id, ''),
           CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END, e.effective_date::date
      FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id
     WHERE (e.recorded_xid, e.entry_id) > (w.recorded_xid, w.entry_id) AND (before IS NULL OR e.effective_date < before);
END $$;

-- The summarizer, with the day rows (0014 otherwise): the run's lines summed per key and day,
-- then per month and all time from those.
CREATE OR REPLACE FUNCTION ledger.summarize(max_entries integer DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET jit = off SET work_mem = '64MB'
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    pos ledger.summary_position;
    bound xid8;
    few boolean;
    few_below bigint;
    passed bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'summarizing needs a READ COMMITTED transaction' USING ERRCODE = 'LX002';
    END IF;
    SELECT * INTO pos FROM ledger.summary_position FOR UPDATE;
    bound := ledger.chain_bound();
    -- Entries looked up one by one below 2,000 or a twentieth of the journal (its newest entry id).
    few_below := greatest(2000, coalesce((SELECT max(entry_id) FROM ledger.journal_entry), 0) / 20);
    SELECT count(*) < few_below INTO few
      FROM (SELECT FROM ledger.journal_entry e
             WHERE (e.recorded_xid, e.entry_id) > (pos.recorded_xid, pos.entry_id) AND e.recorded_xid < bound LIMIT few_below) n;
    few := few OR coalesce(max_entries < few_below, false);
    -- One statement, so one snapshot: the entries it passes are the ones it adds.
    WITH batch AS MATERIALIZED (
        SELECT e.entry_id, e.recorded_xid, e.effective_date AS day
          FROM ledger.journal_entry e
         WHERE (e.recorded_xid, e.entry_id) > (pos.recorded_xid, pos.entry_id) AND e.recorded_xid < bound
         ORDER BY e.recorded_xid, e.entry_id
         LIMIT max_entries
    ), events AS MATERIALIZED (
        SELECT x.effective_date AS day, x.facility_id, x.event_type,
               coalesce(sum(x.amount_minor), 0) AS amount, coalesce(sum(x.principal_credit_minor), 0) AS principal
          FROM batch b
          JOIN LATERAL (SELECT * FROM ledger.event_effect x WHERE few AND x.entry_id = b.entry_id OFFSET 0) x ON true
         GROUP BY 1, 2, 3
        UNION ALL
        SELECT x.effective_date, x.facility_id, x.event_type, coalesce(sum(x.amount_minor), 0), coalesce(sum(x.principal_credit_minor), 0)
          FROM batch b JOIN ledger.event_effect x ON x.entry_id = b.entry_id
         WHERE NOT few
         GROUP BY 1, 2, 3
    ), event_days AS (
        INSERT INTO ledger.event_day AS d (day, facility_id, event_type, amount_minor, principal_credit_minor)
        SELECT day, facility_id, event_type, amount, principal FROM events ORDER BY 1, 2, 3
        ON CONFLICT (day, facility_id, event_type) DO UPDATE
           SET amount_minor = d.amount_minor + EXCLUDED.amount_minor,
               principal_credit_minor = d.principal_credit_minor + EXCLUDED.principal_credit_minor
    ), event_months AS (
        INSERT INTO ledger.event_month AS d (month, facility_id, event_type, amount_minor, principal_credit_minor)
        SELECT date_trunc('month', day)::date, facility_id, event_type, sum(amount), sum(principal) FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (month, facility_id, event_type) DO UPDATE
           SET amount_minor = d.amount_minor + EXCLUDED.amount_minor,
               principal_credit_minor = d.principal_credit_minor + EXCLUDED.principal_credit_minor
    ), event_totals AS (
        INSERT INTO ledger.event_total AS d (facility_id, event_type, amount_minor, principal_credit_minor)
        SELECT facility_id, event_type, sum(amount), sum(principal) FROM events GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (facility_id, event_type) DO UPDATE
           SET amount_minor = d.amount_minor + EXCLUDED.amount_minor,
               principal_credit_minor = d.principal_credit_minor + EXCLUDED.principal_credit_minor
    ), lines AS MATERIALIZED (
        SELECT l.account, l.fund, coalesce(l.facility_id, '') AS facility_id, l.currency, b.day,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0) AS debit,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0) AS credit
          FROM batch b JOIN LATERAL (SELECT * FROM ledger.journal_line l WHERE l.entry_id = b.entry_id OFFSET 0) l ON true
         GROUP BY 1, 2, 3, 4, 5
    ), balance_days AS (
        INSERT INTO ledger.balance_day AS d (account, fund, facility_id, currency, day, debit_minor, credit_minor)
        SELECT account, fund, facility_id, currency, day, debit, credit FROM lines ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (account, fund, facility_id, currency, day) DO UPDATE
           SET debit_minor = d.debit_minor + EXCLUDED.debit_minor, credit_minor = d.credit_minor + EXCLUDED.credit_minor
    ), balance_months AS (
        INSERT INTO ledger.balance_month AS m (account, fund, facility_id, currency, month, debit_minor, credit_minor)
        SELECT account, fund, facility_id, currency, date_trunc('month', day)::date, sum(debit), sum(credit) FROM lines GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
           SET debit_minor = m.debit_minor + EXCLUDED.debit_minor, credit_minor = m.credit_minor + EXCLUDED.credit_minor
    ), balance_totals AS (
        INSERT INTO ledger.balance_total AS t (account, fund, facility_id, currency, debit_minor, credit_minor)
        SELECT account, fund, facility_id, currency, sum(debit), sum(credit) FROM lines GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (account, fund, facility_id, currency) DO UPDATE
           SET debit_minor = t.debit_minor + EXCLUDED.debit_minor, credit_minor = t.credit_minor + EXCLUDED.credit_minor
    ), last AS (
        SELECT b.recorded_xid, b.entry_id FROM batch b ORDER BY b.recorded_xid DESC, b.entry_id DESC LIMIT 1
    ), moved AS (
        UPDATE ledger.summary_position SET recorded_xid = last.recorded_xid, entry_id = last.entry_id FROM last RETURNING 1
    )
    SELECT count(*) INTO passed FROM batch;
    RETURN passed;
END $$;

-- Rebuilds every summary kept up to the watermark (0012), the day balances now among them.
CREATE OR REPLACE FUNCTION ledger.rebuild_summaries() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET work_mem = '256MB' AS $$
BEGIN
    DELETE FROM ledger.balance_day;
    DELETE FROM ledger.balance_month;
    DELETE FROM ledger.balance_total;
    DELETE FROM ledger.event_month;
    DELETE FROM ledger.event_total;
    DELETE FROM ledger.event_day;
    INSERT INTO ledger.balance_day (account, fund, facility_id, currency, day, debit_minor, credit_minor)
    SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, e.effective_date,
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0), coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
      FROM ledger.summary_position w, ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id
     WHERE (e.recorded_xid, e.entry_id) <= (w.recorded_xid, w.entry_id)
     GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO ledger.balance_month (account, fund, facility_id, currency, month, debit_minor, credit_minor)
    SELECT account, fund, facility_id, currency, date_trunc('month', day)::date, sum(debit_minor), sum(credit_minor)
      FROM ledger.balance_day GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO ledger.balance_total (account, fund, facility_id, currency, debit_minor, credit_minor)
    SELECT account, fund, facility_id, currency, sum(debit_minor), sum(credit_minor) FROM ledger.balance_month GROUP BY 1, 2, 3, 4;
    INSERT INTO ledger.event_day (day, facility_id, event_type, amount_minor, principal_credit_minor)
    SELECT x.effective_date, x.facility_id, x.event_type, coalesce(sum(x.amount_minor), 0), coalesce(sum(x.principal_credit_minor), 0)
      FROM ledger.summary_position w, ledger.event_effect x
     WHERE (x.recorded_xid, x.entry_id) <= (w.recorded_xid, w.entry_id)
     GROUP BY 1, 2, 3;
    INSERT INTO ledger.event_month (month, facility_id, event_type, amount_minor, principal_credit_minor)
    SELECT date_trunc('month', day)::date, facility_id, event_type, sum(amount_minor), sum(principal_credit_minor) FROM ledger.event_day GROUP BY 1, 2, 3;
    INSERT INTO ledger.event_total (facility_id, event_type, amount_minor, principal_credit_minor)
    SELECT facility_id, event_type, sum(amount_minor), sum(principal_credit_minor) FROM ledger.event_month GROUP BY 1, 2;
END $$;
-- The day rows held every committed entry; from here on, those up to the watermark.
SELECT ledger.rebuild_summaries();

RESET ROLE;  -- back to the migrating user, who records the migration
