-- A posting's checks at a fraction of their cost (issue 5: Scripts/bench). Counted with callgrind
-- on a backend running 2,000 postings through a prepared ledger.post_entry call (instructions per
-- posting; steady from run to run, unlike this machine's clock): 1,787k before this migration, 1,360k
-- after it. pgbench's TPC-B transaction takes 742k in the same measurement, but seven round trips.
--
-- 1. The format rules of the journal's columns become domains. PostgreSQL re-reads and re-plans a
--    table's CHECK constraints from their stored text at every INSERT statement (stringToNode and
--    expression planning, 9 constraints: ~230k instructions per posting), while a domain's rules
--    are read once per session. Same rules, same constraint names (an error still names the rule:
--    `value for domain ledger.line_facility violates check constraint "line_facility_format"`).
--    The domains start without rules so that changing the columns' types rewrites no table; adding
--    each rule then checks the rows already there.
--
-- 2. A one-entry statement (every posting) is checked in a loop over its lines instead of an
--    aggregate query: PostgreSQL sets up every aggregate of a query at each execution, and the
--    twelve of the one-entry query (0014) cost more than the loop's work on two lines. The loop
--    leaves at the first line of another entry, fund or currency, or of an account not in the
--    chart; the general query (0012) then checks the statement as before and names the problem.
--    A reversal also goes to the general query, which checks its original's date and lines.
--
-- 3. The balances of a checked entry whose lines have distinct balance keys are upserted line by
--    line, with no grouping (an aggregate again), months then days in key order as before. Any
--    other statement's balances go through balance_pending and the fold at commit (0015), which
--    groups them: a balance row can take only one change per statement.
--
-- 4. The commit-time check that an entry has lines no longer sets search_path for each entry (a
--    configuration change and its undoing per call, ~12k instructions a posting): it runs with the
--    caller's rights and names its table and operator with their schemas instead.

CREATE DOMAIN ledger.entry_event_key AS text;
CREATE DOMAIN ledger.entry_date AS date;
CREATE DOMAIN ledger.entry_description AS text;
CREATE DOMAIN ledger.entry_line_count AS integer;
CREATE DOMAIN ledger.line_number AS integer;
CREATE DOMAIN ledger.line_side AS text;
CREATE DOMAIN ledger.line_amount AS bigint;
CREATE DOMAIN ledger.line_currency AS text;
CREATE DOMAIN ledger.line_facility AS text;

ALTER TABLE ledger.journal_entry
    DROP CONSTRAINT entry_event_key_length,
    DROP CONSTRAINT entry_effective_date_range,
    DROP CONSTRAINT entry_description_length,
    DROP CONSTRAINT entry_line_count_range,
    ALTER COLUMN event_key TYPE ledger.entry_event_key,
    ALTER COLUMN effective_date TYPE ledger.entry_date,
    ALTER COLUMN description TYPE ledger.entry_description,
    ALTER COLUMN line_count TYPE ledger.entry_line_count;

ALTER TABLE ledger.journal_line
    DROP CONSTRAINT line_no_positive,
    DROP CONSTRAINT line_side_known,
    DROP CONSTRAINT line_amount_positive,
    DROP CONSTRAINT line_currency_format,
    DROP CONSTRAINT line_facility_format,
    ALTER COLUMN line_no TYPE ledger.line_number,
    ALTER COLUMN side TYPE ledger.line_side,
    ALTER COLUMN amount_minor TYPE ledger.line_amount,
    ALTER COLUMN currency TYPE ledger.line_currency,
    ALTER COLUMN facility_id TYPE ledger.line_facility;

ALTER DOMAIN ledger.entry_event_key ADD CONSTRAINT entry_event_key_length CHECK (length(VALUE) BETWEEN 1 AND 200);
ALTER DOMAIN ledger.entry_date ADD CONSTRAINT entry_effective_date_range CHECK (VALUE BETWEEN '1900-01-01' AND '9999-12-31');
ALTER DOMAIN ledger.entry_description ADD CONSTRAINT entry_description_length CHECK (length(VALUE) <= 1000);
ALTER DOMAIN ledger.entry_line_count ADD CONSTRAINT entry_line_count_range CHECK (VALUE BETWEEN 2 AND 1000);
ALTER DOMAIN ledger.line_number ADD CONSTRAINT line_no_positive CHECK (VALUE >= 1);
ALTER DOMAIN ledger.line_side ADD CONSTRAINT line_side_known CHECK (VALUE IN ('debit', 'credit'));
ALTER DOMAIN ledger.line_amount ADD CONSTRAINT line_amount_positive CHECK (VALUE > 0);
ALTER DOMAIN ledger.line_currency ADD CONSTRAINT line_currency_format CHECK (length(VALUE) = 3 AND VALUE ~ '^[A-Z]*$');
ALTER DOMAIN ledger.line_facility ADD CONSTRAINT line_facility_format CHECK (length(VALUE) <= 64 AND VALUE ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$');

ALTER DOMAIN ledger.entry_event_key OWNER TO ledger_owner;
ALTER DOMAIN ledger.entry_date OWNER TO ledger_owner;
ALTER DOMAIN ledger.entry_description OWNER TO ledger_owner;
ALTER DOMAIN ledger.entry_line_count OWNER TO ledger_owner;
ALTER DOMAIN ledger.line_number OWNER TO ledger_owner;
ALTER DOMAIN ledger.line_side OWNER TO ledger_owner;
ALTER DOMAIN ledger.line_amount OWNER TO ledger_owner;
ALTER DOMAIN ledger.line_currency OWNER TO ledger_owner;
ALTER DOMAIN ledger.line_facility OWNER TO ledger_owner;

-- Lines, per statement: a one-entry statement in one loop (above), anything else or any fault in
-- the general query of 0012; then, as before, the months' locks and states and a reversal's
-- mirror; then the balances (above).
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

    -- The balances: a checked entry's, line by line (its keys are distinct), months then days in key
    -- order; any other statement's through balance_pending, folded at commit or before a read (0015).
    IF checked AND distinct_keys THEN
        INSERT INTO ledger.balance_month AS b (account, fund, facility_id, currency, month, debit_minor, credit_minor)
        SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, lock_months[1],
               CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END, CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END
          FROM new_lines l
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
           SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
               credit_minor = b.credit_minor + EXCLUDED.credit_minor;
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

CREATE OR REPLACE FUNCTION ledger.entry_has_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.journal_line l WHERE l.entry_id OPERATOR(pg_catalog.=) NEW.entry_id) THEN
        RAISE EXCEPTION 'entry % (%) declares % lines but has none', NEW.entry_id, NEW.event_key, NEW.line_count
            USING ERRCODE = 'LX001';
    END IF;
    RETURN NULL;
END $$;
