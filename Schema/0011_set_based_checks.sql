-- The journal's rules checked once per statement instead of once per row (issue 5: Scripts/bench
-- showed the row triggers of 0002 costing more than the inserts themselves — a BEFORE trigger
-- per entry, and a deferred check queued for the entry and again for each of its lines). The
-- rules are the same; two change form:
--
--   * All lines of an entry arrive in one statement, in the transaction that recorded the entry:
--     line numbers 1..line_count, every one of them. So the statement that inserts lines checks
--     whole entries at once — the entries' own rules too (server-set columns, open month,
--     reversal) — and a line added later to an entry, committed or not, is refused (LX001).
--   * recorded_at, recorded_by and recorded_xid come from their defaults and are checked, not
--     overwritten: a client that sends other values is refused (LX006).
--
-- One statement trigger on journal_line does it all, then keeps the balances; its queries start
-- from the statement's rows and look each entry up by key (a LATERAL subquery with OFFSET 0, which
-- the planner cannot turn around): a plan cached while the journal was small must not read the
-- whole journal per statement once it is large.
--
-- What stays deferred is one cheap probe per entry at commit: an entry header must have lines
-- (and so was checked with them). This also removes the transaction-local setting 0002 used to
-- skip repeated checks of one entry, which a session could have set itself to skip a check.
--
-- New SQLSTATE: LX006 server-set column (recorded_at/by/xid) sent by the client.

DROP TRIGGER journal_entry_stamp ON ledger.journal_entry;
DROP TRIGGER journal_entry_balanced ON ledger.journal_entry;
DROP TRIGGER journal_line_balanced ON ledger.journal_line;
DROP TRIGGER journal_line_balances ON ledger.journal_line;
DROP FUNCTION ledger.entry_stamp();
DROP FUNCTION ledger.check_entry();
DROP FUNCTION ledger.apply_lines_to_balances();

-- New lines, per statement, and the entries they belong to; then the balances, in key order (month
-- rows, then day rows) so that concurrent postings lock balance rows in the same order and never
-- deadlock. Runs as the owner: only it writes balances.
CREATE FUNCTION ledger.accept_lines() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    bad record;
    m date;
BEGIN
    -- Each entry: recorded by this transaction with the server-set columns its defaults gave, all
    -- its lines in this statement (numbered 1..line_count), a reversal pointing at an earlier one.
    SELECT * INTO bad FROM (
        SELECT e.entry_id, e.event_key, e.line_count, c.n, e.reverses, e.effective_date,
               CASE WHEN e.recorded_xid <> pg_current_xact_id() THEN 'another transaction'
                    WHEN e.recorded_by <> session_user OR e.recorded_at < transaction_timestamp()
                         OR e.recorded_at > clock_timestamp() THEN 'server-set'
                    WHEN c.n <> e.line_count OR c.top > e.line_count THEN 'line count'
                    WHEN e.reverses IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM ledger.journal_entry o WHERE o.entry_id = e.reverses AND o.effective_date <= e.effective_date OFFSET 0)
                    THEN 'reverses'
               END AS problem
          FROM (SELECT l.entry_id, count(*) AS n, max(l.line_no) AS top FROM new_lines l GROUP BY l.entry_id) c,
               LATERAL (SELECT * FROM ledger.journal_entry j WHERE j.entry_id = c.entry_id OFFSET 0) e
    ) checked WHERE checked.problem IS NOT NULL ORDER BY checked.entry_id LIMIT 1;
    IF bad.problem = 'another transaction' THEN
        RAISE EXCEPTION 'entry % (%) was recorded by another transaction: lines cannot be added to it', bad.entry_id, bad.event_key
            USING ERRCODE = 'LX001', HINT = 'correct an entry by reversing it and posting a new one';
    ELSIF bad.problem = 'server-set' THEN
        RAISE EXCEPTION 'entry % sets recorded_at, recorded_by or recorded_xid: the server sets them', bad.event_key
            USING ERRCODE = 'LX006';
    ELSIF bad.problem = 'line count' THEN
        RAISE EXCEPTION 'entry % (%) declares % lines numbered 1 to %, and one statement must insert all of them (this one has %)',
            bad.entry_id, bad.event_key, bad.line_count, bad.line_count, bad.n USING ERRCODE = 'LX001';
    ELSIF bad.problem = 'reverses' THEN
        RAISE EXCEPTION 'entry % cannot reverse entry %: it does not exist or is dated after %', bad.event_key, bad.reverses, bad.effective_date
            USING ERRCODE = 'LX004';
    END IF;

    -- An entry can never slip into a month that is being closed: each month's lock (shared, in
    -- month order), then its state read afresh (each statement here takes a new snapshot).
    FOR m IN SELECT DISTINCT date_trunc('month', e.effective_date)::date
               FROM (SELECT DISTINCT l.entry_id FROM new_lines l) n,
                    LATERAL (SELECT j.effective_date FROM ledger.journal_entry j WHERE j.entry_id = n.entry_id OFFSET 0) e
              ORDER BY 1 LOOP
        PERFORM ledger.lock_month(m, false);
        IF (SELECT p.action FROM ledger.period_event p WHERE p.month = m ORDER BY p.period_event_id DESC LIMIT 1) = 'close' THEN
            SELECT e.event_key, e.effective_date INTO bad
              FROM (SELECT DISTINCT l.entry_id FROM new_lines l) n,
                   LATERAL (SELECT * FROM ledger.journal_entry j WHERE j.entry_id = n.entry_id OFFSET 0) e
             WHERE date_trunc('month', e.effective_date)::date = m ORDER BY e.entry_id LIMIT 1;
            RAISE EXCEPTION 'period % is closed: entry % is dated %', to_char(m, 'YYYY-MM'), bad.event_key, bad.effective_date
                USING ERRCODE = 'LX002', HINT = 'reopen the period with a reason, or date the entry in an open month';
        END IF;
    END LOOP;

    -- Balanced per account set and per fund, in each currency: both groupings in one pass.
    SELECT l.entry_id, a.account_set, l.fund, l.currency,
           sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) AS difference INTO bad
      FROM new_lines l JOIN ledger.account a ON a.number = l.account
     GROUP BY GROUPING SETS ((l.entry_id, a.account_set, l.currency), (l.entry_id, l.fund, l.currency))
    HAVING sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0
     ORDER BY l.entry_id, a.account_set IS NULL LIMIT 1;
    IF FOUND AND bad.account_set IS NOT NULL THEN
        RAISE EXCEPTION 'entry % (%) does not balance: % % lines differ by % minor units (debits − credits)',
            bad.entry_id, (SELECT event_key FROM ledger.journal_entry WHERE entry_id = bad.entry_id), bad.account_set, bad.currency,
            bad.difference USING ERRCODE = 'LX001';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'entry % (%) does not balance within fund %: % lines differ by % minor units (debits − credits)',
            bad.entry_id, (SELECT event_key FROM ledger.journal_entry WHERE entry_id = bad.entry_id), bad.fund, bad.currency,
            bad.difference USING ERRCODE = 'LX001';
    END IF;

    -- A reversal mirrors every line of its original.
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

CREATE TRIGGER journal_line_accept AFTER INSERT ON ledger.journal_line
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger.accept_lines();

-- At commit: every entry has its lines (the statement that inserted them checked them whole).
CREATE FUNCTION ledger.entry_has_lines() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, ledger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.journal_line WHERE entry_id = NEW.entry_id) THEN
        RAISE EXCEPTION 'entry % (%) declares % lines but has none', NEW.entry_id, NEW.event_key, NEW.line_count
            USING ERRCODE = 'LX001';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER journal_entry_has_lines AFTER INSERT ON ledger.journal_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.entry_has_lines();

ALTER FUNCTION ledger.accept_lines() OWNER TO ledger_owner;
ALTER FUNCTION ledger.entry_has_lines() OWNER TO ledger_owner;

-- Balance rows are updated many times (several times in one import): room on each page lets
-- PostgreSQL update them in place (HOT) instead of adding index entries for every version.
ALTER TABLE ledger.balance_month SET (fillfactor = 50);
ALTER TABLE ledger.balance_day SET (fillfactor = 70);
