-- The summarizer chooses how to read a run's events by the run's size against the journal's.
--
-- Guarantees: unchanged (0012): the summaries hold the entries up to the watermark, exactly.
--
-- A run's events are read in one of two plans (0012): each entry's looked up by its key, or the
-- whole run joined to every event at once. 0012 looked up runs of fewer than 2,000 entries. The
-- join reads every event of the journal, so its cost follows the journal, not the run: month-end's
-- 10,000 accruals in a journal of 1,000,000 events took 5.7 s to summarize joined, 1.24 s looked up
-- (about 124 us an entry looked up; joined, about 5.6 us per event in the journal and 7 us per
-- entry of the run, from that run and a 300,000-event import's 3.8 s). Looking up is cheaper while
-- the run is under about a twentieth of the journal; a run is now looked up below 2,000 entries or
-- a twentieth of the newest entry id, whichever is more. An import into an empty journal is still
-- joined whole.

SET LOCAL ROLE ledger_owner;

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

RESET ROLE;  -- back to the migrating user, who records the migration
