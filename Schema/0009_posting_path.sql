-- The posting path (issue 6): journal rows are written only through ledger.post_entry, which runs
-- as ledger_owner. Officers may call it and may no longer INSERT into the journal tables or the
-- event table directly; every journal rule is still checked by the triggers, as for any writer.
-- recorded_by stays the session user (the officer), whoever the function runs as.
--
-- p_entry: {"event_key", "effective_date", "description", "reverses", "on_conflict_nothing",
--           "lines": [{"line_no", "account", "fund", "facility_id", "side", "amount_minor", "currency"}]}
-- p_event: null, or {"event_id", "event_type", "facility_id", "fund", "effective_date",
--           "amount_minor", "currency", "reference", "memo", "accrued_from", "accrued_to"}
-- Returns the new entry's id; NULL when on_conflict_nothing and the event key exists.
CREATE FUNCTION ledger.post_entry(p_entry jsonb, p_event jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    id bigint;
BEGIN
    IF (p_entry->>'on_conflict_nothing')::boolean THEN
        INSERT INTO ledger.journal_entry (event_key, effective_date, description, reverses, line_count)
        VALUES (p_entry->>'event_key', (p_entry->>'effective_date')::date, p_entry->>'description', (p_entry->>'reverses')::bigint,
                jsonb_array_length(p_entry->'lines'))
        ON CONFLICT (event_key) DO NOTHING
        RETURNING entry_id INTO id;
        IF id IS NULL THEN
            RETURN NULL;
        END IF;
    ELSE
        INSERT INTO ledger.journal_entry (event_key, effective_date, description, reverses, line_count)
        VALUES (p_entry->>'event_key', (p_entry->>'effective_date')::date, p_entry->>'description', (p_entry->>'reverses')::bigint,
                jsonb_array_length(p_entry->'lines'))
        RETURNING entry_id INTO id;
    END IF;
    INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, facility_id, side, amount_minor, currency)
    SELECT id, l.line_no, l.account, l.fund, l.facility_id, l.side, l.amount_minor, l.currency
      FROM jsonb_to_recordset(p_entry->'lines')
           AS l(line_no integer, account text, fund text, facility_id text, side text, amount_minor bigint, currency text);
    IF p_event IS NOT NULL AND jsonb_typeof(p_event) = 'object' THEN
        INSERT INTO ledger.event (event_id, entry_id, event_type, facility_id, fund, effective_date, amount_minor, currency,
                                  reference, memo, accrued_from, accrued_to)
        SELECT v.event_id, id, v.event_type, v.facility_id, v.fund, v.effective_date, v.amount_minor, v.currency,
               v.reference, v.memo, v.accrued_from, v.accrued_to
          FROM jsonb_to_record(p_event) AS v(event_id text, event_type text, facility_id text, fund text, effective_date date,
                                             amount_minor bigint, currency text, reference text, memo text, accrued_from date, accrued_to date);
    END IF;
    RETURN id;
END $$;

ALTER FUNCTION ledger.post_entry(jsonb, jsonb) OWNER TO ledger_owner;
REVOKE EXECUTE ON FUNCTION ledger.post_entry(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_entry(jsonb, jsonb) TO ledger_officer;
REVOKE INSERT ON ledger.journal_entry, ledger.journal_line, ledger.event FROM ledger_officer;
