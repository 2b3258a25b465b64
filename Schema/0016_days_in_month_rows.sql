-- The day sums carried by the month rows (issue 21): one row per key and month, not per key and day.
--
-- Before, the summarizer kept a row per key and day (balance_day, event_day) beside the month and
-- all-time rows. In a busy month each facility has about ten events, so an import's summarizing
-- upserted about as many day rows as the file had lines: for a file of 30,000 events, 115,310 day
-- sums, about 1.9 s of the summarizer's 3.5 s (auto_explain, 2026-12-06). The same sums fall into
-- 7,006 key-months.
--
-- Now each month row carries its days as running sums: element d of day_debit_minor is the debits
-- dated from the first to the d-th of the month, and so on for every figure; elements past the
-- month's last day repeat its total. A read as of a day takes one element of one row, however busy
-- the month. balance_day and event_day are views over them now, a row per day that moved.
--
-- Guarantees: each month row's running sums end at its month total (a check); `verify` recomputes
-- every day, month and all-time sum from the lines and events up to the watermark.

SET LOCAL ROLE ledger_owner;

-- The 31 running sums of a month from amounts and their days of the month (any order, a day any
-- number of times).
CREATE FUNCTION ledger.running_by_day(days integer[], amounts bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    running bigint[] := array_fill(0::bigint, ARRAY[31]);
BEGIN
    FOR j IN 1 .. coalesce(cardinality(days), 0) LOOP
        running[days[j]] := running[days[j]] + amounts[j];
    END LOOP;
    FOR d IN 2 .. 31 LOOP
        running[d] := running[d] + running[d - 1];
    END LOOP;
    RETURN running;
END $$;

-- Two months' running sums added day by day (written out, so that it is inlined).
CREATE FUNCTION ledger.add_days(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT ARRAY[
    a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5], a[6] + b[6], a[7] + b[7], a[8] + b[8],
    a[9] + b[9], a[10] + b[10], a[11] + b[11], a[12] + b[12], a[13] + b[13], a[14] + b[14], a[15] + b[15], a[16] + b[16],
    a[17] + b[17], a[18] + b[18], a[19] + b[19], a[20] + b[20], a[21] + b[21], a[22] + b[22], a[23] + b[23], a[24] + b[24],
    a[25] + b[25], a[26] + b[26], a[27] + b[27], a[28] + b[28], a[29] + b[29], a[30] + b[30], a[31] + b[31]]
$$;

ALTER TABLE ledger.balance_month ADD COLUMN day_debit_minor bigint[], ADD COLUMN day_credit_minor bigint[];
ALTER TABLE ledger.event_month ADD COLUMN day_amount_minor bigint[], ADD COLUMN day_principal_credit_minor bigint[];

DROP TABLE ledger.balance_day, ledger.event_day;

-- The summarizer (0015 otherwise): the run's lines and events summed per key and month, with the
-- days' running sums, then all time from the months. (Summing per key and day first, as before,
-- made another row for nearly every line, and cost a fifth more: a day rarely has two lines on
-- one key.)
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
    ), events AS (
        SELECT x.effective_date AS day, x.facility_id, x.event_type, coalesce(x.amount_minor, 0)::bigint AS amount, coalesce(x.principal_credit_minor, 0)::bigint AS principal
          FROM batch b
          JOIN LATERAL (SELECT * FROM ledger.event_effect x WHERE few AND x.entry_id = b.entry_id OFFSET 0) x ON true
        UNION ALL
        SELECT x.effective_date, x.facility_id, x.event_type, coalesce(x.amount_minor, 0)::bigint, coalesce(x.principal_credit_minor, 0)::bigint
          FROM batch b JOIN ledger.event_effect x ON x.entry_id = b.entry_id
         WHERE NOT few
    ), event_months AS MATERIALIZED (
        SELECT date_trunc('month', day)::date AS month, facility_id, event_type, sum(amount)::bigint AS amount, sum(principal)::bigint AS principal,
               ledger.running_by_day(array_agg(extract(day FROM day)::integer), array_agg(amount)) AS day_amount,
               ledger.running_by_day(array_agg(extract(day FROM day)::integer), array_agg(principal)) AS day_principal
          FROM events GROUP BY 1, 2, 3
    ), event_month_rows AS (
        INSERT INTO ledger.event_month AS d (month, facility_id, event_type, amount_minor, principal_credit_minor, day_amount_minor, day_principal_credit_minor)
        SELECT month, facility_id, event_type, amount, principal, day_amount, day_principal FROM event_months ORDER BY 1, 2, 3
        ON CONFLICT (month, facility_id, event_type) DO UPDATE
           SET amount_minor = d.amount_minor + EXCLUDED.amount_minor,
               principal_credit_minor = d.principal_credit_minor + EXCLUDED.principal_credit_minor,
               day_amount_minor = ledger.add_days(d.day_amount_minor, EXCLUDED.day_amount_minor),
               day_principal_credit_minor = ledger.add_days(d.day_principal_credit_minor, EXCLUDED.day_principal_credit_minor)
    ), event_totals AS (
        INSERT INTO ledger.event_total AS d (facility_id, event_type, amount_minor, principal_credit_minor)
        SELECT facility_id, event_type, sum(amount), sum(principal) FROM event_months GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (facility_id, event_type) DO UPDATE
           SET amount_minor = d.amount_minor + EXCLUDED.amount_minor,
               principal_credit_minor = d.principal_credit_minor + EXCLUDED.principal_credit_minor
    ), line_months AS MATERIALIZED (
        SELECT l.account, l.fund, coalesce(l.facility_id, '') AS facility_id, l.currency, date_trunc('month', b.day)::date AS month,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0)::bigint AS debit,
               coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)::bigint AS credit,
               ledger.running_by_day(array_agg(extract(day FROM b.day)::integer), array_agg(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE 0 END)) AS day_debit,
               ledger.running_by_day(array_agg(extract(day FROM b.day)::integer), array_agg(CASE l.side WHEN 'credit' THEN l.amount_minor ELSE 0 END)) AS day_credit
          FROM batch b JOIN LATERAL (SELECT * FROM ledger.journal_line l WHERE l.entry_id = b.entry_id OFFSET 0) l ON true
         GROUP BY 1, 2, 3, 4, 5
    ), balance_months AS (
        INSERT INTO ledger.balance_month AS m (account, fund, facility_id, currency, month, debit_minor, credit_minor, day_debit_minor, day_credit_minor)
        SELECT account, fund, facility_id, currency, month, debit, credit, day_debit, day_credit FROM line_months ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
           SET debit_minor = m.debit_minor + EXCLUDED.debit_minor, credit_minor = m.credit_minor + EXCLUDED.credit_minor,
               day_debit_minor = ledger.add_days(m.day_debit_minor, EXCLUDED.day_debit_minor),
               day_credit_minor = ledger.add_days(m.day_credit_minor, EXCLUDED.day_credit_minor)
    ), balance_totals AS (
        INSERT INTO ledger.balance_total AS t (account, fund, facility_id, currency, debit_minor, credit_minor)
        SELECT account, fund, facility_id, currency, sum(debit), sum(credit) FROM line_months GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
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

-- Rebuilds every summary (0015 otherwise): emptied, the watermark back at the start, then one run of
-- the summarizer over every entry it may pass, as it would add them one run at a time.
CREATE OR REPLACE FUNCTION ledger.rebuild_summaries() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    DELETE FROM ledger.balance_month;
    DELETE FROM ledger.balance_total;
    DELETE FROM ledger.event_month;
    DELETE FROM ledger.event_total;
    UPDATE ledger.summary_position SET recorded_xid = '0'::xid8, entry_id = 0;
    PERFORM ledger.summarize();
END $$;
SELECT ledger.rebuild_summaries();

ALTER TABLE ledger.balance_month
    ALTER COLUMN day_debit_minor SET NOT NULL, ALTER COLUMN day_credit_minor SET NOT NULL,
    ADD CONSTRAINT balance_month_days CHECK (
        array_lower(day_debit_minor, 1) = 1 AND cardinality(day_debit_minor) = 31 AND day_debit_minor[31] = debit_minor
        AND array_lower(day_credit_minor, 1) = 1 AND cardinality(day_credit_minor) = 31 AND day_credit_minor[31] = credit_minor);
ALTER TABLE ledger.event_month
    ALTER COLUMN day_amount_minor SET NOT NULL, ALTER COLUMN day_principal_credit_minor SET NOT NULL,
    ADD CONSTRAINT event_month_days CHECK (
        array_lower(day_amount_minor, 1) = 1 AND cardinality(day_amount_minor) = 31 AND day_amount_minor[31] = amount_minor
        AND array_lower(day_principal_credit_minor, 1) = 1 AND cardinality(day_principal_credit_minor) = 31
        AND day_principal_credit_minor[31] = principal_credit_minor);

-- The days that moved, from the month rows' running sums: what the day tables held.
CREATE VIEW ledger.balance_day AS
SELECT m.account, m.fund, m.facility_id, m.currency, m.month + (n.d - 1) AS day,
       m.day_debit_minor[n.d] - coalesce(m.day_debit_minor[n.d - 1], 0) AS debit_minor,
       m.day_credit_minor[n.d] - coalesce(m.day_credit_minor[n.d - 1], 0) AS credit_minor
  FROM ledger.balance_month m
 CROSS JOIN LATERAL generate_series(1, extract(day FROM m.month + interval '1 month - 1 day')::integer) AS n(d)
 WHERE m.day_debit_minor[n.d] <> coalesce(m.day_debit_minor[n.d - 1], 0) OR m.day_credit_minor[n.d] <> coalesce(m.day_credit_minor[n.d - 1], 0);
CREATE VIEW ledger.event_day AS
SELECT m.month + (n.d - 1) AS day, m.facility_id, m.event_type,
       m.day_amount_minor[n.d] - coalesce(m.day_amount_minor[n.d - 1], 0) AS amount_minor,
       m.day_principal_credit_minor[n.d] - coalesce(m.day_principal_credit_minor[n.d - 1], 0) AS principal_credit_minor
  FROM ledger.event_month m
 CROSS JOIN LATERAL generate_series(1, extract(day FROM m.month + interval '1 month - 1 day')::integer) AS n(d)
 WHERE m.day_amount_minor[n.d] <> coalesce(m.day_amount_minor[n.d - 1], 0)
    OR m.day_principal_credit_minor[n.d] <> coalesce(m.day_principal_credit_minor[n.d - 1], 0);
GRANT SELECT ON ledger.balance_day, ledger.event_day TO ledger_officer, ledger_reporter, ledger_reconciler;

RESET ROLE;  -- back to the migrating user, who records the migration
