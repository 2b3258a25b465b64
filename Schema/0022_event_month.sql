-- Event sums per facility and event type, kept off the posting path (issue 17: the exposure
-- report, the facility statement and `report limits` read every facility's obligated, deobligated,
-- disbursed and repaid totals, and summed from the events one by one their cost grew with the
-- journal, not with the facilities).
--
-- event_month: per closed month. A month's rows are written each time it is closed, from its
-- events, and deleted when it is reopened: rows exist exactly for the months whose latest period
-- event is a close, and equal the sums of their events. The close is safe against postings under
-- way for the same reason as the month balances (0020): the close's insert waits for every
-- transaction holding the month's shared lock, and the summing statement, run after it in the same
-- READ COMMITTED transaction, sees all of them.
--
-- event_day: per day, for the entries up to a watermark (event_summary_position, in the audit
-- chain's recording order). `ledger.summarize_events()` adds the entries committed past it, as
-- the sealer does with seals, and the sealer's run calls it (after each write command); nothing
-- on the posting path changes. Readers take closed months from event_month, other months' days
-- from event_day, and read one by one only the events of entries past the watermark.
--
-- Derived data: `verify` recomputes every row of both.
CREATE TABLE ledger.event_month (
    facility_id text NOT NULL,
    event_type text NOT NULL,
    month date NOT NULL CONSTRAINT event_month_first_day CHECK (month = date_trunc('month', month)::date),
    -- Σ the events' amounts, less those of events reversed (a write-off of everything has none: its
    -- lines hold the amounts).
    amount_minor bigint NOT NULL,
    -- Σ the 135000 (loans receivable) credits of the events' entries: principal repaid by repay and
    -- repay-principal, written off by write-off (the only events that credit it); 0 for the others.
    principal_credit_minor bigint NOT NULL,
    PRIMARY KEY (month, facility_id, event_type)
);
ALTER TABLE ledger.event_month OWNER TO ledger_owner;
GRANT SELECT ON ledger.event_month TO ledger_officer, ledger_reporter, ledger_reconciler;

CREATE TABLE ledger.event_day (
    day date NOT NULL,
    facility_id text NOT NULL,
    event_type text NOT NULL,
    amount_minor bigint NOT NULL,
    principal_credit_minor bigint NOT NULL,
    PRIMARY KEY (day, facility_id, event_type)
);
ALTER TABLE ledger.event_day OWNER TO ledger_owner;
GRANT SELECT ON ledger.event_day TO ledger_officer, ledger_reporter, ledger_reconciler;

-- The last entry whose events are in event_day, in recording order (one row).
CREATE TABLE ledger.event_summary_position (
    only_row boolean PRIMARY KEY DEFAULT true CONSTRAINT event_summary_position_one_row CHECK (only_row),
    recorded_xid xid8 NOT NULL,
    entry_id bigint NOT NULL
);
INSERT INTO ledger.event_summary_position (recorded_xid, entry_id) VALUES ('0'::xid8, 0);
ALTER TABLE ledger.event_summary_position OWNER TO ledger_owner;
GRANT SELECT ON ledger.event_summary_position TO ledger_officer, ledger_reporter, ledger_reconciler;

-- What each entry does to the event sums: an event's entry adds its event (amount, and for a
-- repayment or write-off the entry's 135000 credits); the entry that reverses it takes the same
-- away again, on the reversal's own date. So a reversed disbursement no longer counts as
-- disbursed from the day it was reversed, as its lines no longer count in the balances.
CREATE VIEW ledger.event_effect AS
SELECT e.entry_id, e.recorded_xid, e.recorded_at, e.effective_date, ev.facility_id, ev.event_type,
       ev.amount_minor, p.credit AS principal_credit_minor
  FROM ledger.journal_entry e
  JOIN ledger.event ev ON ev.entry_id = e.entry_id
  LEFT JOIN LATERAL (SELECT sum(l.amount_minor) FILTER (WHERE l.account = '135000' AND l.side = 'credit') AS credit FROM ledger.journal_line l
                      WHERE ev.event_type IN ('repay', 'repay-principal', 'write-off') AND l.entry_id = e.entry_id) p ON true
 WHERE ev.facility_id IS NOT NULL
UNION ALL
SELECT r.entry_id, r.recorded_xid, r.recorded_at, r.effective_date, ev.facility_id, ev.event_type,
       -ev.amount_minor, -p.credit
  FROM ledger.journal_entry r
  JOIN ledger.event ev ON ev.entry_id = r.reverses
  LEFT JOIN LATERAL (SELECT sum(l.amount_minor) FILTER (WHERE l.account = '135000' AND l.side = 'credit') AS credit FROM ledger.journal_line l
                      WHERE ev.event_type IN ('repay', 'repay-principal', 'write-off') AND l.entry_id = r.reverses) p ON true
 WHERE ev.facility_id IS NOT NULL;
ALTER VIEW ledger.event_effect OWNER TO ledger_owner;
GRANT SELECT ON ledger.event_effect TO ledger_officer, ledger_reporter, ledger_reconciler;

-- (Each entry's 135000 credits are read by its entry id alone, the account and side filtered in
-- the sum: with the account in the WHERE clause, a planner on stale statistics right after an
-- import combined the account's index with the key's for every event, and summarizing 30,000
-- events took 2.9 s instead of 0.2 s.)
--
-- Adds the events of the entries committed past the watermark (up to `max_entries` of them in
-- recording order; all when null) to event_day and moves the watermark; returns how many entries
-- it passed. Only entries below `chain_bound()` are taken, so no entry still being written is
-- passed over. Runs one at a time (the watermark row is locked); call it in a READ COMMITTED
-- transaction, so that its reading statement sees every entry below the bound.
CREATE FUNCTION ledger.summarize_events(max_entries integer DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger SET jit = off AS $$
DECLARE
    pos ledger.event_summary_position;
    bound xid8;
    passed bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'summarizing events needs a READ COMMITTED transaction' USING ERRCODE = 'LX002';
    END IF;
    SELECT * INTO pos FROM ledger.event_summary_position FOR UPDATE;
    bound := ledger.chain_bound();
    -- One statement, so one snapshot: the entries it passes are the ones it adds.
    WITH batch AS MATERIALIZED (
        SELECT e.entry_id, e.recorded_xid, e.effective_date AS day
          FROM ledger.journal_entry e
         WHERE (e.recorded_xid, e.entry_id) > (pos.recorded_xid, pos.entry_id) AND e.recorded_xid < bound
         ORDER BY e.recorded_xid, e.entry_id
         LIMIT max_entries
    ), added AS (
        INSERT INTO ledger.event_day AS d (day, facility_id, event_type, amount_minor, principal_credit_minor)
        SELECT x.effective_date, x.facility_id, x.event_type, coalesce(sum(x.amount_minor), 0), coalesce(sum(x.principal_credit_minor), 0)
          FROM batch b JOIN ledger.event_effect x ON x.entry_id = b.entry_id
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (day, facility_id, event_type) DO UPDATE
           SET amount_minor = d.amount_minor + EXCLUDED.amount_minor,
               principal_credit_minor = d.principal_credit_minor + EXCLUDED.principal_credit_minor
    ), last AS (
        SELECT b.recorded_xid, b.entry_id FROM batch b ORDER BY b.recorded_xid DESC, b.entry_id DESC LIMIT 1
    ), moved AS (
        UPDATE ledger.event_summary_position SET recorded_xid = last.recorded_xid, entry_id = last.entry_id FROM last RETURNING 1
    )
    SELECT count(*) INTO passed FROM batch;
    RETURN passed;
END $$;
ALTER FUNCTION ledger.summarize_events(integer) OWNER TO ledger_owner;
-- Any role of the ledger may run it, as any may run the sealer (`verify` does): it only derives
-- what is committed.
REVOKE EXECUTE ON FUNCTION ledger.summarize_events(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.summarize_events(integer) TO ledger_officer, ledger_reporter, ledger_reconciler;

-- The sums of the events of `m`, as the closing summary and `verify` compute them.
CREATE FUNCTION ledger.event_sums(m date)
RETURNS TABLE (facility_id text, event_type text, amount_minor bigint, principal_credit_minor bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, ledger AS $$
    SELECT x.facility_id, x.event_type, coalesce(sum(x.amount_minor), 0)::bigint, coalesce(sum(x.principal_credit_minor), 0)::bigint
      FROM ledger.event_effect x
     WHERE x.effective_date >= m AND x.effective_date < (m + interval '1 month')::date
     GROUP BY 1, 2
$$;
ALTER FUNCTION ledger.event_sums(date) OWNER TO ledger_owner;

CREATE FUNCTION ledger.summarize_month_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    DELETE FROM ledger.event_month WHERE month = NEW.month;
    IF NEW.action = 'close' THEN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION 'closing % needs a READ COMMITTED transaction: its event sums are taken from what is committed once its lock is held',
                to_char(NEW.month, 'YYYY-MM') USING ERRCODE = 'LX002';
        END IF;
        INSERT INTO ledger.event_month (facility_id, event_type, month, amount_minor, principal_credit_minor)
        SELECT s.facility_id, s.event_type, NEW.month, s.amount_minor, s.principal_credit_minor
          FROM ledger.event_sums(NEW.month) s
         ORDER BY 1, 2;
    END IF;
    RETURN NULL;
END $$;
ALTER FUNCTION ledger.summarize_month_events() OWNER TO ledger_owner;
CREATE TRIGGER period_event_summarize_events AFTER INSERT ON ledger.period_event
    FOR EACH ROW EXECUTE FUNCTION ledger.summarize_month_events();

-- The months closed now.
INSERT INTO ledger.event_month (facility_id, event_type, month, amount_minor, principal_credit_minor)
SELECT s.facility_id, s.event_type, c.month, s.amount_minor, s.principal_credit_minor
  FROM (SELECT DISTINCT ON (month) month, action FROM ledger.period_event ORDER BY month, period_event_id DESC) c,
       LATERAL ledger.event_sums(c.month) s
 WHERE c.action = 'close';

-- The entries recorded so far.
SELECT ledger.summarize_events();
