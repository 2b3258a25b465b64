-- The journal's references checked per statement instead of per row (issue 5: Scripts/bench).
--
-- A foreign key is checked row by row: one lookup per line for its entry, its account and its
-- fund, four per event — and each takes a share lock on the row it finds, so that every posting
-- locks the same few account and fund rows. Profiled with perf, those checks were 23% of the
-- server's time in `import events`; with eight clients posting, dropping them took pgbench
-- driving ledger.post_entry from 2,268 to 2,794 tps in one run.
--
-- The references are as strict as before, checked once per statement with the rest of an entry's
-- rules: every line names an entry, an account in the chart and a fund of the ledger; every event
-- names its entry (by id and by key), a fund and, if any, a facility. Facilities, accounts and
-- funds can no longer be deleted or renumbered (facilities already could not), so what a line or
-- an event names stays there without the row locks a foreign key takes. Journal entries were
-- append-only already. Errors keep the foreign-key SQLSTATE (23503) and name the line or event and
-- the value.

ALTER TABLE ledger.journal_line DROP CONSTRAINT line_entry_fk, DROP CONSTRAINT line_account_fk, DROP CONSTRAINT line_fund_fk;
ALTER TABLE ledger.journal_entry DROP CONSTRAINT entry_reverses_fk;
ALTER TABLE ledger.event DROP CONSTRAINT event_entry_id_fkey, DROP CONSTRAINT event_fund_fkey,
    DROP CONSTRAINT event_event_id_fkey, DROP CONSTRAINT event_facility_id_fkey;

-- Accounts and funds: named by lines and events, so never deleted or renumbered (TG_ARGV[0]: the
-- key column).
CREATE FUNCTION ledger.refuse_unnaming() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        RAISE EXCEPTION '% % cannot be deleted or renumbered: journal lines and events name it', TG_TABLE_NAME, to_jsonb(OLD)->>TG_ARGV[0]
            USING ERRCODE = 'LX003', HINT = 'an account or fund no longer used stays where it is';
    END IF;
    RAISE EXCEPTION '% cannot be truncated: journal lines and events name its rows', TG_TABLE_NAME USING ERRCODE = 'LX003';
END $$;

CREATE TRIGGER account_kept BEFORE DELETE ON ledger.account
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_unnaming('number');
CREATE TRIGGER account_number_kept BEFORE UPDATE ON ledger.account
    FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number) EXECUTE FUNCTION ledger.refuse_unnaming('number');
CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON ledger.account
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_unnaming();
CREATE TRIGGER fund_kept BEFORE DELETE ON ledger.fund
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_unnaming('code');
CREATE TRIGGER fund_code_kept BEFORE UPDATE ON ledger.fund
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION ledger.refuse_unnaming('code');
CREATE TRIGGER fund_no_truncate BEFORE TRUNCATE ON ledger.fund
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_unnaming();

-- The month lock's key, in one place (lock_month and accept_lines).
CREATE FUNCTION ledger.month_lock_key(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (extract(year FROM d) * 12 + extract(month FROM d))::integer $$;

CREATE OR REPLACE FUNCTION ledger.lock_month(d date, exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(7306001, ledger.month_lock_key(d));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7306001, ledger.month_lock_key(d));
    END IF;
END $$;

-- Lines, per statement: their references (entry, account, fund), then each entry whole (as in
-- 0011: recorded by this transaction, server-set columns, all lines in this statement, reversal
-- target), all read in one statement; then the months' locks and states, the balance per account
-- set and fund, a reversal's mirror, and the balances. Generic plans only: the planner costed the
-- months query (unnest of an array variable) higher as a generic plan and so planned it afresh on
-- every call (perf: re-planning was 9% of the server's time with eight clients posting).
CREATE OR REPLACE FUNCTION ledger.accept_lines() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s record;
    bad record;
    m date;
BEGIN
    -- One pass over the statement's lines for everything that does not need a lock: the first bad
    -- reference, the first bad entry, the first unbalanced entry, the months, whether any reverses.
    WITH lines AS MATERIALIZED (
        SELECT l.entry_id, l.line_no, l.account, l.fund, l.currency, a.account_set, f.code AS known_fund,
               CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END AS signed
          FROM new_lines l LEFT JOIN ledger.account a ON a.number = l.account LEFT JOIN ledger.fund f ON f.code = l.fund
    ), entries AS MATERIALIZED (
        SELECT c.entry_id, c.n, c.top, e.event_key, e.line_count, e.reverses, e.effective_date,
               CASE WHEN e.event_key IS NULL THEN 'no entry'
                    WHEN e.recorded_xid <> pg_current_xact_id() THEN 'another transaction'
                    WHEN e.recorded_by <> session_user OR e.recorded_at < transaction_timestamp()
                         OR e.recorded_at > clock_timestamp() THEN 'server-set'
                    WHEN c.n <> e.line_count OR c.top > e.line_count THEN 'line count'
                    WHEN e.reverses IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM ledger.journal_entry o WHERE o.entry_id = e.reverses AND o.effective_date <= e.effective_date OFFSET 0)
                    THEN 'reverses'
               END AS problem
          FROM (SELECT entry_id, count(*) AS n, max(line_no) AS top FROM lines GROUP BY entry_id) c
          LEFT JOIN LATERAL (SELECT j.* FROM ledger.journal_entry j WHERE j.entry_id = c.entry_id OFFSET 0) e ON true
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

    -- An entry can never slip into a month that is being closed: each month's lock (shared, in
    -- month order), then its state read afresh (each statement here takes a new snapshot).
    FOREACH m IN ARRAY coalesce(s.months, '{}') LOOP
        PERFORM pg_advisory_xact_lock_shared(7306001, ledger.month_lock_key(m));
    END LOOP;
    SELECT x.m INTO m FROM unnest(s.months) AS x(m)
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

    IF s.b_set IS NOT NULL THEN
        RAISE EXCEPTION 'entry % (%) does not balance: % % lines differ by % minor units (debits − credits)',
            s.b_entry, (SELECT event_key FROM ledger.journal_entry WHERE entry_id = s.b_entry), s.b_set, s.b_currency,
            s.difference USING ERRCODE = 'LX001';
    ELSIF s.b_entry IS NOT NULL THEN
        RAISE EXCEPTION 'entry % (%) does not balance within fund %: % lines differ by % minor units (debits − credits)',
            s.b_entry, (SELECT event_key FROM ledger.journal_entry WHERE entry_id = s.b_entry), s.b_fund, s.b_currency,
            s.difference USING ERRCODE = 'LX001';
    END IF;

    -- A reversal mirrors every line of its original.
    IF s.reversing THEN
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

    -- The balances, month rows and day rows, in one statement.
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
    RETURN NULL;
END $$;

-- Events, per statement: each names its entry (by id, with the same key), a fund and, if any, a
-- facility — what four foreign keys checked row by row.
CREATE FUNCTION ledger.accept_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    bad record;
BEGIN
    SELECT * INTO bad FROM (
        SELECT v.event_id, v.entry_id, v.fund, v.facility_id,
               CASE WHEN NOT EXISTS (SELECT 1 FROM ledger.journal_entry j WHERE j.entry_id = v.entry_id AND j.event_key = v.event_id OFFSET 0)
                    THEN 'entry'
                    WHEN NOT EXISTS (SELECT 1 FROM ledger.fund f WHERE f.code = v.fund) THEN 'fund'
                    WHEN v.facility_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger.facility f WHERE f.facility_id = v.facility_id OFFSET 0)
                    THEN 'facility'
               END AS problem
          FROM new_events v
    ) checked WHERE checked.problem IS NOT NULL ORDER BY checked.event_id LIMIT 1;
    IF bad.problem = 'entry' THEN
        RAISE EXCEPTION 'event % names entry %, which is not the entry recorded with key %', bad.event_id, bad.entry_id, bad.event_id
            USING ERRCODE = 'foreign_key_violation';
    ELSIF bad.problem = 'fund' THEN
        RAISE EXCEPTION 'event % names fund %, which is not a fund of the ledger', bad.event_id, bad.fund
            USING ERRCODE = 'foreign_key_violation';
    ELSIF bad.problem = 'facility' THEN
        RAISE EXCEPTION 'event % names facility %, which does not exist', bad.event_id, bad.facility_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER event_accept AFTER INSERT ON ledger.event
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION ledger.accept_events();

ALTER FUNCTION ledger.refuse_unnaming() OWNER TO ledger_owner;
ALTER FUNCTION ledger.month_lock_key(date) OWNER TO ledger_owner;
ALTER FUNCTION ledger.accept_events() OWNER TO ledger_owner;
