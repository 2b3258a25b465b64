-- The journal (DESIGN.md §2): entries and their lines, append-only and balanced, enforced here
-- even against raw SQL; closed months; reversals.
--
-- Guarantees, each checked by the database whatever the client:
--   * Every entry balances: Σ debits = Σ credits per currency, within each account set
--     (proprietary, budgetary, memorandum) and within each fund (LX001).
--   * An entry has exactly its declared lines, numbered 1..line_count, all inserted by one
--     statement in the transaction that recorded the entry; a line added later is refused (LX001),
--     and an entry header without lines fails at commit (LX001).
--   * Lines name an entry, an account in the chart and a fund of the ledger (23503, naming the line
--     and the value), checked once per statement rather than by foreign keys, whose per-row share
--     locks serialized every posting on the same few account and fund rows.
--   * No entry is dated in a closed month (LX002): a posting holds its month's lock shared, a close
--     or reopen takes it exclusive, so a close waits for the postings into its month to commit.
--   * Append-only: no UPDATE, DELETE or TRUNCATE of entries, lines or period events, for any role
--     including the owner (LX003).
--   * A reversal is dated on or after its original, reverses it once, and mirrors every line of
--     it (LX004).
--   * recorded_at, recorded_by and recorded_xid are the server's: a client that sends other values
--     is refused (LX006).
--
-- Format rules of the columns are domains: PostgreSQL reads a domain's rules once per session,
-- while a table's CHECK constraints are re-read and re-planned at every INSERT statement.
--
-- Custom SQLSTATEs (class LX), which LedgerStore turns into LedgerError:
--   LX001 unbalanced entry or wrong lines       LX002 entry dated in a closed month
--   LX003 UPDATE/DELETE/TRUNCATE of the journal LX004 invalid reversal
--   LX005 seal that does not extend the chain   LX006 server-set column sent by the client

SET LOCAL ROLE ledger_owner;

CREATE DOMAIN ledger.entry_event_key AS text CONSTRAINT entry_event_key_length CHECK (length(VALUE) BETWEEN 1 AND 200);
CREATE DOMAIN ledger.entry_date AS date CONSTRAINT entry_effective_date_range CHECK (VALUE BETWEEN '1900-01-01' AND '9999-12-31');
CREATE DOMAIN ledger.entry_description AS text CONSTRAINT entry_description_length CHECK (length(VALUE) <= 1000);
CREATE DOMAIN ledger.entry_line_count AS integer CONSTRAINT entry_line_count_range CHECK (VALUE BETWEEN 2 AND 1000);
CREATE DOMAIN ledger.line_number AS integer CONSTRAINT line_no_positive CHECK (VALUE >= 1);
CREATE DOMAIN ledger.line_side AS text CONSTRAINT line_side_known CHECK (VALUE IN ('debit', 'credit'));
CREATE DOMAIN ledger.line_amount AS bigint CONSTRAINT line_amount_positive CHECK (VALUE > 0);
CREATE DOMAIN ledger.line_currency AS text CONSTRAINT line_currency_format CHECK (length(VALUE) = 3 AND VALUE ~ '^[A-Z]*$');
CREATE DOMAIN ledger.line_facility AS text
    CONSTRAINT line_facility_format CHECK (length(VALUE) <= 64 AND VALUE ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$');

CREATE TABLE ledger.journal_entry (
    entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_key ledger.entry_event_key NOT NULL CONSTRAINT entry_event_key_unique UNIQUE,
    effective_date ledger.entry_date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user,
    -- The recording transaction, so that the audit chain seals only committed history.
    recorded_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    description ledger.entry_description NOT NULL,
    reverses bigint CONSTRAINT entry_reverses_once UNIQUE,
    line_count ledger.entry_line_count NOT NULL
);

CREATE INDEX journal_entry_recorded_at ON ledger.journal_entry (recorded_at);
CREATE INDEX journal_entry_effective_date ON ledger.journal_entry (effective_date);

CREATE TABLE ledger.journal_line (
    entry_id bigint NOT NULL,
    line_no ledger.line_number NOT NULL,
    account text NOT NULL,
    fund text NOT NULL,
    facility_id ledger.line_facility,
    side ledger.line_side NOT NULL,
    amount_minor ledger.line_amount NOT NULL,
    currency ledger.line_currency NOT NULL,
    PRIMARY KEY (entry_id, line_no)
);

CREATE INDEX journal_line_account ON ledger.journal_line (account, fund, currency);
CREATE INDEX journal_line_facility ON ledger.journal_line (facility_id) WHERE facility_id IS NOT NULL;

-- Closing and reopening months: an append-only record of who did what, when and why. A month's
-- state is its latest event's action.
CREATE TABLE ledger.period_event (
    period_event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month date NOT NULL CONSTRAINT period_month_first_day CHECK (month = date_trunc('month', month)::date),
    action text NOT NULL CONSTRAINT period_action_known CHECK (action IN ('close', 'reopen')),
    reason text CONSTRAINT period_reopen_has_reason CHECK (action = 'close' OR length(btrim(reason)) > 0),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user
);
CREATE INDEX period_event_month ON ledger.period_event (month, period_event_id);

-- The lock that keeps postings into a month and the month's closing apart: posting takes it
-- shared, closing or reopening takes it exclusive. Held until the transaction ends. Its key, in
-- one place (lock_month and accept_lines):
CREATE FUNCTION ledger.month_lock_key(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (extract(year FROM d) * 12 + extract(month FROM d))::integer $$;

CREATE FUNCTION ledger.lock_month(d date, exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(7306001, ledger.month_lock_key(d));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7306001, ledger.month_lock_key(d));
    END IF;
END $$;

-- Closing a month waits for postings into it to finish (the exclusive side of the month lock).
CREATE FUNCTION ledger.period_event_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger.lock_month(NEW.month, true);
    NEW.recorded_at := clock_timestamp();
    NEW.recorded_by := session_user;
    RETURN NEW;
END $$;

CREATE TRIGGER period_event_lock BEFORE INSERT ON ledger.period_event
    FOR EACH ROW EXECUTE FUNCTION ledger.period_event_lock();

-- Append-only, for every role including the ledger's owner.
CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'LX003', HINT = 'correct an entry by reversing it and posting a new one';
END $$;

CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON ledger.journal_entry
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON ledger.journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER journal_line_append_only BEFORE UPDATE OR DELETE ON ledger.journal_line
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER journal_line_no_truncate BEFORE TRUNCATE ON ledger.journal_line
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER period_event_append_only BEFORE UPDATE OR DELETE ON ledger.period_event
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER period_event_no_truncate BEFORE TRUNCATE ON ledger.period_event
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger.journal_entry, ledger.journal_line, ledger.period_event FROM PUBLIC;

-- What is wrong with one entry's own row, or NULL: server-set columns, an open month, and for a
-- reversal its original's existence and date. Shared by both paths of accept_lines.
CREATE FUNCTION ledger.entry_problem(p_entry_id bigint, p_recorded_xid xid8, p_recorded_by text, p_recorded_at timestamptz,
                                     p_line_count integer, p_effective_date date, p_reverses bigint, p_reversed_date date,
                                     n bigint, top integer)
RETURNS text LANGUAGE sql VOLATILE
RETURN CASE WHEN p_entry_id IS NULL THEN 'no entry'
            WHEN p_recorded_xid <> pg_current_xact_id() THEN 'another transaction'
            WHEN p_recorded_by <> session_user OR p_recorded_at < transaction_timestamp()
                 OR p_recorded_at > clock_timestamp() THEN 'server-set'
            WHEN n <> p_line_count OR top > p_line_count THEN 'line count'
            WHEN p_reverses IS NOT NULL AND (p_reversed_date IS NULL OR p_reversed_date > p_effective_date) THEN 'reverses'
       END;

-- The journal's rules, checked once per statement of lines (the statement trigger below), then
-- the statement's balances kept (0004):
--
--   * A statement of one entry's lines — every posting — is checked in a loop over its lines: it
--     leaves at the first line of another entry, fund or currency, or of an account not in the
--     chart, and the general query then checks the statement and names the problem. A reversal
--     also goes to the general query, which checks its original's date and lines.
--   * The general query checks any number of entries at once: lines numbered 1..line_count, every
--     entry balanced per currency within each account set and each fund, references to entries,
--     accounts and funds, each entry's own rules (entry_problem), and reversals mirroring their
--     originals. Its queries start from the statement's rows and look each entry up by key (a
--     LATERAL subquery with OFFSET 0), so a plan cached while the journal was small never reads
--     the whole journal once it is large.
--   * Balances: a checked entry whose lines have distinct balance keys is upserted line by line
--     into balance_day (and balance_month when its month was closed before); any other statement
--     adds its lines to balance_pending, folded once at commit (0004).
CREATE FUNCTION ledger.accept_lines() RETURNS trigger
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
CREATE TRIGGER journal_line_accept AFTER INSERT ON ledger.journal_line
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger.accept_lines();

-- At commit, one cheap probe per entry: an entry header must have lines (and so was checked with
-- them). It runs with the caller's rights and names its table and operator with their schemas.
CREATE FUNCTION ledger.entry_has_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.journal_line l WHERE l.entry_id OPERATOR(pg_catalog.=) NEW.entry_id) THEN
        RAISE EXCEPTION 'entry % (%) declares % lines but has none', NEW.entry_id, NEW.event_key, NEW.line_count
            USING ERRCODE = 'LX001';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_entry_has_lines AFTER INSERT ON ledger.journal_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.entry_has_lines();

GRANT SELECT ON ledger.journal_entry, ledger.journal_line, ledger.period_event TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT INSERT ON ledger.period_event TO ledger_officer;
GRANT USAGE ON SEQUENCE ledger.journal_entry_entry_id_seq, ledger.period_event_period_event_id_seq TO ledger_officer;

RESET ROLE;  -- back to the migrating user, who records the migration
