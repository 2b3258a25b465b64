-- The posting path for many entries at once (measured by Scripts/bench: one call per event made
-- bulk import round-trip bound). Same rules as ledger.post_entry: runs as ledger_owner, officers
-- may call it, every journal rule is checked by the triggers; the balance trigger now runs once
-- per batch instead of once per entry.
--
-- p: [{"event_key", "effective_date", "description", "lines": [...], "event": {...}}, ...] with the
-- shapes of post_entry's arguments. Returns each new entry's key and id.
CREATE FUNCTION ledger.post_entries(p jsonb) RETURNS TABLE (out_key text, out_id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS post_entries_new (k text PRIMARY KEY, id bigint NOT NULL, ord bigint NOT NULL) ON COMMIT DROP;
    TRUNCATE post_entries_new;
    WITH src AS (
        SELECT t.x, t.ord FROM jsonb_array_elements(p) WITH ORDINALITY AS t(x, ord)
    ), e AS (
        INSERT INTO ledger.journal_entry (event_key, effective_date, description, reverses, line_count)
        SELECT src.x->>'event_key', (src.x->>'effective_date')::date, src.x->>'description', (src.x->>'reverses')::bigint,
               jsonb_array_length(src.x->'lines')
          FROM src ORDER BY src.ord
        RETURNING journal_entry.event_key, journal_entry.entry_id
    )
    INSERT INTO post_entries_new (k, id, ord)
    SELECT e.event_key, e.entry_id, src.ord FROM e JOIN src ON src.x->>'event_key' = e.event_key;

    INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, facility_id, side, amount_minor, currency)
    SELECT n.id, l.line_no, l.account, l.fund, l.facility_id, l.side, l.amount_minor, l.currency
      FROM post_entries_new n JOIN jsonb_array_elements(p) WITH ORDINALITY AS s(x, ord) ON s.ord = n.ord,
           jsonb_to_recordset(s.x->'lines') AS l(line_no integer, account text, fund text, facility_id text, side text, amount_minor bigint, currency text)
     ORDER BY n.id, l.line_no;

    INSERT INTO ledger.event (event_id, entry_id, event_type, facility_id, fund, effective_date, amount_minor, currency,
                              reference, memo, accrued_from, accrued_to)
    SELECT v.event_id, n.id, v.event_type, v.facility_id, v.fund, v.effective_date, v.amount_minor, v.currency,
           v.reference, v.memo, v.accrued_from, v.accrued_to
      FROM post_entries_new n JOIN jsonb_array_elements(p) WITH ORDINALITY AS s(x, ord) ON s.ord = n.ord,
           jsonb_to_record(s.x->'event') AS v(event_id text, event_type text, facility_id text, fund text, effective_date date,
                                              amount_minor bigint, currency text, reference text, memo text, accrued_from date, accrued_to date)
     WHERE jsonb_typeof(s.x->'event') = 'object';

    RETURN QUERY SELECT n.k, n.id FROM post_entries_new n ORDER BY n.ord;
END $$;

ALTER FUNCTION ledger.post_entries(jsonb) OWNER TO ledger_owner;
REVOKE EXECUTE ON FUNCTION ledger.post_entries(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_entries(jsonb) TO ledger_officer;
