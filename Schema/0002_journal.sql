-- The journal (DESIGN.md §2): entries and their lines, append-only and balanced, enforced here
-- even against raw SQL; closed periods; reversals; balances kept per month in the posting
-- transaction; and the table the audit chain's seals go into.
--
-- Custom SQLSTATEs raised here (class LX), which LedgerStore turns into LedgerError:
--   LX001 unbalanced entry or wrong line count    LX002 entry dated in a closed month
--   LX003 UPDATE/DELETE/TRUNCATE of the journal    LX004 invalid reversal

CREATE TABLE ledger.journal_entry (
    entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_key text NOT NULL
        CONSTRAINT entry_event_key_unique UNIQUE
        CONSTRAINT entry_event_key_length CHECK (length(event_key) BETWEEN 1 AND 200),
    effective_date date NOT NULL
        CONSTRAINT entry_effective_date_range CHECK (effective_date BETWEEN '1900-01-01' AND '9999-12-31'),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user,
    -- The recording transaction, so that the audit chain seals only committed history.
    recorded_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    description text NOT NULL
        CONSTRAINT entry_description_length CHECK (length(description) <= 1000),
    reverses bigint
        CONSTRAINT entry_reverses_fk REFERENCES ledger.journal_entry
        CONSTRAINT entry_reverses_once UNIQUE,
    line_count integer NOT NULL
        CONSTRAINT entry_line_count_range CHECK (line_count BETWEEN 2 AND 1000)
);

CREATE INDEX journal_entry_recorded_at ON ledger.journal_entry (recorded_at);
CREATE INDEX journal_entry_effective_date ON ledger.journal_entry (effective_date);

CREATE TABLE ledger.journal_line (
    entry_id bigint NOT NULL CONSTRAINT line_entry_fk REFERENCES ledger.journal_entry,
    line_no integer NOT NULL CONSTRAINT line_no_positive CHECK (line_no >= 1),
    account text NOT NULL CONSTRAINT line_account_fk REFERENCES ledger.account,
    fund text NOT NULL CONSTRAINT line_fund_fk REFERENCES ledger.fund,
    facility_id text
        CONSTRAINT line_facility_format CHECK (facility_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    side text NOT NULL CONSTRAINT line_side_known CHECK (side IN ('debit', 'credit')),
    amount_minor bigint NOT NULL CONSTRAINT line_amount_positive CHECK (amount_minor > 0),
    currency text NOT NULL CONSTRAINT line_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
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

-- Balances per account, fund, facility ('' for none), currency and effective month, kept in the
-- posting transaction by a statement trigger. Derived data: `dfc-ledger verify` recomputes it.
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

-- The audit chain: entries sealed in recording order (see LedgerStore's AuditChain).
CREATE TABLE ledger.entry_seal (
    chain_seq bigint PRIMARY KEY CONSTRAINT seal_seq_positive CHECK (chain_seq >= 1),
    entry_id bigint NOT NULL CONSTRAINT seal_entry_fk REFERENCES ledger.journal_entry CONSTRAINT seal_entry_once UNIQUE,
    previous_sha256 text NOT NULL CONSTRAINT seal_previous_hex CHECK (previous_sha256 ~ '^[0-9a-f]{64}$'),
    sha256 text NOT NULL CONSTRAINT seal_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The lock that keeps postings into a month and the month's closing apart: posting takes it
-- shared, closing or reopening takes it exclusive. Held until the transaction ends.
CREATE FUNCTION ledger.lock_month(d date, exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    key integer := (extract(year FROM d) * 12 + extract(month FROM d))::integer;
BEGIN
    IF exclusive THEN
        PERFORM pg_advisory_xact_lock(7306001, key);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7306001, key);
    END IF;
END $$;

-- Server-set facts: whatever a client sends for them is replaced.
CREATE FUNCTION ledger.entry_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', NEW.effective_date)::date;
    state text;
BEGIN
    NEW.recorded_at := clock_timestamp();
    NEW.recorded_by := session_user;
    NEW.recorded_xid := pg_current_xact_id();
    -- An entry can never slip into a month that is being closed.
    PERFORM ledger.lock_month(month_start, false);
    SELECT action INTO state FROM ledger.period_event WHERE month = month_start ORDER BY period_event_id DESC LIMIT 1;
    IF state = 'close' THEN
        RAISE EXCEPTION 'period % is closed: entry % is dated %', to_char(month_start, 'YYYY-MM'), NEW.event_key, NEW.effective_date
            USING ERRCODE = 'LX002', HINT = 'reopen the period with a reason, or date the entry in an open month';
    END IF;
    IF NEW.reverses IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM ledger.journal_entry o WHERE o.entry_id = NEW.reverses AND o.effective_date <= NEW.effective_date) THEN
            RAISE EXCEPTION 'entry % cannot reverse entry %: it does not exist or is dated after %', NEW.event_key, NEW.reverses, NEW.effective_date
                USING ERRCODE = 'LX004';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER journal_entry_stamp BEFORE INSERT ON ledger.journal_entry
    FOR EACH ROW EXECUTE FUNCTION ledger.entry_stamp();

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
CREATE TRIGGER entry_seal_append_only BEFORE UPDATE OR DELETE ON ledger.entry_seal
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER entry_seal_no_truncate BEFORE TRUNCATE ON ledger.entry_seal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON ledger.journal_entry, ledger.journal_line, ledger.period_event, ledger.entry_seal FROM PUBLIC;

-- At commit, every entry touched in the transaction must balance per currency within each
-- account set and within each fund, have exactly its declared number of lines, and — for a
-- reversal — mirror every line of the original. Deferred, so that lines can follow the header.
CREATE FUNCTION ledger.check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    e ledger.journal_entry;
    actual integer;
    bad record;
BEGIN
    -- Lines of one entry queue consecutively: check each entry once per run of its events.
    IF current_setting('ledger.last_checked_entry', true) = NEW.entry_id::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('ledger.last_checked_entry', NEW.entry_id::text, true);

    SELECT * INTO e FROM ledger.journal_entry WHERE entry_id = NEW.entry_id;
    SELECT count(*) INTO actual FROM ledger.journal_line WHERE entry_id = NEW.entry_id;
    IF actual <> e.line_count THEN
        RAISE EXCEPTION 'entry % (%) has % lines but declares %', e.entry_id, e.event_key, actual, e.line_count
            USING ERRCODE = 'LX001';
    END IF;

    SELECT a.account_set, l.currency,
           sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) AS difference
      INTO bad
      FROM ledger.journal_line l JOIN ledger.account a ON a.number = l.account
     WHERE l.entry_id = NEW.entry_id
     GROUP BY a.account_set, l.currency
    HAVING sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % (%) does not balance: % % lines differ by % minor units (debits − credits)',
            e.entry_id, e.event_key, bad.account_set, bad.currency, bad.difference USING ERRCODE = 'LX001';
    END IF;

    SELECT l.fund, l.currency,
           sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) AS difference
      INTO bad
      FROM ledger.journal_line l
     WHERE l.entry_id = NEW.entry_id
     GROUP BY l.fund, l.currency
    HAVING sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % (%) does not balance within fund %: % lines differ by % minor units (debits − credits)',
            e.entry_id, e.event_key, bad.fund, bad.currency, bad.difference USING ERRCODE = 'LX001';
    END IF;

    IF e.reverses IS NOT NULL AND EXISTS (
        (SELECT account, fund, facility_id, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, amount_minor, currency
           FROM ledger.journal_line WHERE entry_id = e.reverses
         EXCEPT ALL
         SELECT account, fund, facility_id, side, amount_minor, currency FROM ledger.journal_line WHERE entry_id = e.entry_id)
        UNION ALL
        (SELECT account, fund, facility_id, side, amount_minor, currency FROM ledger.journal_line WHERE entry_id = e.entry_id
         EXCEPT ALL
         SELECT account, fund, facility_id, CASE side WHEN 'debit' THEN 'credit' ELSE 'debit' END, amount_minor, currency
           FROM ledger.journal_line WHERE entry_id = e.reverses))
    THEN
        RAISE EXCEPTION 'entry % (%) does not reverse every line of entry % exactly', e.entry_id, e.event_key, e.reverses
            USING ERRCODE = 'LX004';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER journal_entry_balanced AFTER INSERT ON ledger.journal_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.check_entry();
CREATE CONSTRAINT TRIGGER journal_line_balanced AFTER INSERT ON ledger.journal_line
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.check_entry();

-- Balances follow every insert of lines, in key order so that concurrent postings lock the
-- balance rows in the same order and never deadlock.
CREATE FUNCTION ledger.apply_lines_to_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger.balance_month AS b (account, fund, facility_id, currency, month, debit_minor, credit_minor)
    SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, date_trunc('month', e.effective_date)::date,
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0),
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
      FROM new_lines l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
       SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
           credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    RETURN NULL;
END $$;

CREATE TRIGGER journal_line_balances AFTER INSERT ON ledger.journal_line
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger.apply_lines_to_balances();

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
