-- Summaries kept off the posting path (issue 21): what an officer waits for no longer grows with
-- the month's activity.
--
-- Before, a month's balances were summed only when it was first closed and its event sums each
-- time it was closed, so every read of a month still open went over its day rows (a busy month:
-- facilities × accounts × days of them), and every check "as of now" (positions, control
-- balances, the limits' totals) read all-time balances and the events one by one.
--
-- Now the posting path writes only what it must check against at once, the day balances (0004),
-- and one summarizer keeps every other summary up to a watermark in recording order
-- (summary_position), the way the sealer keeps the audit chain: `ledger.summarize()` adds the
-- entries committed past the watermark, below `chain_bound()`, and moves it, in one statement.
-- The sealer's run (after each write command, at month-end, by `verify`) ends with it.
--
--   balance_day     per key and day                    every committed entry (posting path, 0004)
--   balance_month   per key and month, every month     entries up to the watermark
--   balance_total   per key, all time                  entries up to the watermark
--   event_day       per facility, event type and day   entries up to the watermark (0007)
--   event_month     per facility, event type, month    entries up to the watermark
--   event_total     per facility and event type        entries up to the watermark
--
-- A read takes its summaries and the lines or events of the entries past the watermark
-- (`unsummarized_lines`, `unsummarized_events`), all in the calling statement's snapshot, so a
-- summarizer committing meanwhile is seen whole or not at all. Closing a month writes no summary:
-- a closed month and an open one are read the same way. `verify` recomputes every row of all six.
--
-- A crash between a posting and its summarizing loses nothing: the entries stay past the
-- watermark, read one by one, until the next run adds them.

SET LOCAL ROLE ledger_owner;

ALTER TABLE ledger.event_summary_position RENAME TO summary_position;
ALTER TABLE ledger.summary_position RENAME CONSTRAINT event_summary_position_one_row TO summary_position_one_row;

DROP TRIGGER period_event_summarize ON ledger.period_event;
DROP FUNCTION ledger.summarize_month();
DROP VIEW ledger.unsummarized_month;
DROP TRIGGER period_event_summarize_events ON ledger.period_event;
DROP FUNCTION ledger.summarize_month_events();
DROP FUNCTION ledger.summarize_events(integer);
DROP FUNCTION ledger.event_sums(date);

-- The posting path keeps day rows only; a batch's wait in balance_pending by key and day (empty
-- outside a transaction: its rows never outlive one).
ALTER TABLE ledger.balance_pending DROP COLUMN entry_id, ADD COLUMN day date NOT NULL;
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
    -- Each entry's date, for the balances of a statement that goes through balance_pending.
    entry_ids bigint[];
    entry_days date[];
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
        entry_ids := ARRAY[first.entry_id];
        entry_days := ARRAY[entry_day];
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
               (SELECT bool_or(x.reverses IS NOT NULL) FROM entries x) AS reversing,
               (SELECT array_agg(x.entry_id) FROM entries x) AS entry_ids, (SELECT array_agg(x.effective_date) FROM entries x) AS entry_days
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
        entry_ids := s.entry_ids;
        entry_days := s.entry_days;
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

    -- The balances: a checked entry's day rows, line by line (its keys are distinct, in key order);
    -- any other statement's through balance_pending, summed per key and day (a batch of 5,000
    -- events leaves a row per key it touches, not one per line), folded at commit or before a read.
    IF checked AND distinct_keys THEN
        INSERT INTO ledger.balance_day AS b (account, fund, facility_id, currency, day, debit_minor, credit_minor)
        SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, entry_day,
               CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END, CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END
          FROM new_lines l
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (account, fund, facility_id, currency, day) DO UPDATE
           SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
               credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    ELSE
        INSERT INTO ledger.balance_pending (account, fund, facility_id, currency, day, debit_minor, credit_minor)
        SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, d.day,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0), coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
          FROM new_lines l JOIN unnest(entry_ids, entry_days) AS d(entry_id, day) ON d.entry_id = l.entry_id
         GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO ledger.balance_fold DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION ledger.fold_balances() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET work_mem = '64MB' AS $$
DECLARE
    folded bigint;
BEGIN
    WITH pending AS (
        DELETE FROM ledger.balance_pending RETURNING *
    )
    INSERT INTO ledger.balance_day AS b (account, fund, facility_id, currency, day, debit_minor, credit_minor)
    SELECT p.account, p.fund, p.facility_id, p.currency, p.day, sum(p.debit_minor), sum(p.credit_minor)
      FROM pending p
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (account, fund, facility_id, currency, day) DO UPDATE
       SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
           credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    GET DIAGNOSTICS folded = ROW_COUNT;
    RETURN folded;
END $$;

CREATE TABLE ledger.balance_total (
    account text NOT NULL,
    fund text NOT NULL,
    facility_id text NOT NULL,
    currency text NOT NULL,
    debit_minor bigint NOT NULL,
    credit_minor bigint NOT NULL,
    PRIMARY KEY (account, fund, facility_id, currency)
);
CREATE TABLE ledger.event_total (
    facility_id text NOT NULL,
    event_type text NOT NULL,
    amount_minor bigint NOT NULL,
    principal_credit_minor bigint NOT NULL,
    PRIMARY KEY (facility_id, event_type)
);

-- The lines of the entries past the watermark dated before `before` (null: all), in the calling
-- statement's snapshot (STABLE), signed debit − credit. The watermark is read first and used as
-- values, so the chain-order index finds the few entries past it.
CREATE FUNCTION ledger.unsummarized_lines(before date)
RETURNS TABLE (account text, fund text, currency text, facility_id text, net bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, ledger SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    w ledger.summary_position;
BEGIN
    SELECT * INTO w FROM ledger.summary_position;
    RETURN QUERY
    SELECT l.account, l.fund, l.currency::text, coalesce(l.facility_id, ''), CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END
      FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id
     WHERE (e.recorded_xid, e.entry_id) > (w.recorded_xid, w.entry_id) AND (before IS NULL OR e.effective_date < before);
END $$;

-- The events' effects (event_effect, 0007) of the entries past the watermark dated before `before`
-- (null: all), the same way.
CREATE FUNCTION ledger.unsummarized_events(before date)
RETURNS TABLE (facility_id text, event_type text, amount_minor bigint, principal_credit_minor bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, ledger SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    w ledger.summary_position;
BEGIN
    SELECT * INTO w FROM ledger.summary_position;
    RETURN QUERY
    SELECT x.facility_id, x.event_type, x.amount_minor, x.principal_credit_minor::bigint
      FROM ledger.event_effect x
     WHERE (x.recorded_xid, x.entry_id) > (w.recorded_xid, w.entry_id) AND (before IS NULL OR x.effective_date < before);
END $$;

-- Adds the entries committed past the watermark (up to `max_entries` of them in recording order;
-- all when null) to every summary and moves the watermark; returns how many entries it passed.
-- Only entries below `chain_bound()` are taken, so no entry still being written is passed over.
-- Runs one at a time (the watermark row is locked); call it in a READ COMMITTED transaction, so
-- that its reading statement sees every entry below the bound. (Each entry's 135000 credits are
-- read by its entry id alone in event_effect: see 0007.)
--
-- Each entry's lines are looked up by its key: joined, the planner hashed the whole journal for a
-- run of 1,300 entries (30 ms at 200,000 lines, growing with the journal). The events of a few
-- entries (a command's) are looked up entry by entry too; the view cannot take the entry ids from
-- a join, so a plain join reads every event (measured: 0.6 s for one entry among 300,000). Those of
-- many (an import's) are joined whole, which is faster from a few thousand on. Which is only a
-- choice of plan: the reading statement takes its entries itself.
CREATE FUNCTION ledger.summarize(max_entries integer DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET jit = off SET work_mem = '64MB'
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    pos ledger.summary_position;
    bound xid8;
    few boolean;
    passed bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'summarizing needs a READ COMMITTED transaction' USING ERRCODE = 'LX002';
    END IF;
    SELECT * INTO pos FROM ledger.summary_position FOR UPDATE;
    bound := ledger.chain_bound();
    SELECT count(*) < 2000 INTO few
      FROM (SELECT FROM ledger.journal_entry e
             WHERE (e.recorded_xid, e.entry_id) > (pos.recorded_xid, pos.entry_id) AND e.recorded_xid < bound LIMIT 2000) n;
    few := few OR coalesce(max_entries < 2000, false);
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
        SELECT l.account, l.fund, coalesce(l.facility_id, '') AS facility_id, l.currency, date_trunc('month', b.day)::date AS month,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0) AS debit,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0) AS credit
          FROM batch b JOIN LATERAL (SELECT * FROM ledger.journal_line l WHERE l.entry_id = b.entry_id OFFSET 0) l ON true
         GROUP BY 1, 2, 3, 4, 5
    ), balance_months AS (
        INSERT INTO ledger.balance_month AS m (account, fund, facility_id, currency, month, debit_minor, credit_minor)
        SELECT account, fund, facility_id, currency, month, debit, credit FROM lines ORDER BY 1, 2, 3, 4, 5
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

-- Rebuilds every summary kept up to the watermark from the lines and events (the months, the
-- totals; the days of events were kept already): this migration's own start, and what a bulk
-- loader that writes the journal directly calls afterwards (after setting the watermark).
CREATE FUNCTION ledger.rebuild_summaries() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET work_mem = '256MB' AS $$
BEGIN
    DELETE FROM ledger.balance_month;
    DELETE FROM ledger.balance_total;
    DELETE FROM ledger.event_month;
    DELETE FROM ledger.event_total;
    DELETE FROM ledger.event_day;
    INSERT INTO ledger.balance_month (account, fund, facility_id, currency, month, debit_minor, credit_minor)
    SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, date_trunc('month', e.effective_date)::date,
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0), coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
      FROM ledger.summary_position w, ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id
     WHERE (e.recorded_xid, e.entry_id) <= (w.recorded_xid, w.entry_id)
     GROUP BY 1, 2, 3, 4, 5;
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
SELECT ledger.rebuild_summaries();

GRANT SELECT ON ledger.summary_position, ledger.balance_total, ledger.event_total TO ledger_officer, ledger_reporter, ledger_reconciler;
REVOKE EXECUTE ON FUNCTION ledger.summarize(integer), ledger.rebuild_summaries() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.summarize(integer) TO ledger_officer, ledger_reporter, ledger_reconciler;

RESET ROLE;  -- back to the migrating user, who records the migration
