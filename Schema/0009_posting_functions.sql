-- The posting path (DESIGN.md §2): journal rows are written only through these two functions,
-- which run as ledger_owner. Officers may call them and may not INSERT into the journal tables or
-- the event table directly; every journal rule is still checked by the triggers (0003, 0007), as
-- for any writer. recorded_by stays the session user (the officer), whoever the function runs as.
--
-- Guarantees: no role but the owner writes journal rows except through these functions, and
-- nothing they write escapes the journal's checks.

SET LOCAL ROLE ledger_owner;

-- One posting: its entry as parameters and its lines as arrays, one per line column (line n is
-- element n of every array, numbered from 1); the entry declares as many lines as there are
-- accounts, and arrays of unequal length leave a line with NULLs, which the journal refuses.
-- p_event: null, or {"event_id", "event_type", "facility_id", "fund", "effective_date",
-- "amount_minor", "currency", "reference", "memo", "accrued_from", "accrued_to"}. Returns the new
-- entry's id; NULL when on_conflict_nothing and the event key exists.
CREATE FUNCTION ledger.post_entry(
    e_key text, e_date date, e_description text, e_reverses bigint, on_conflict_nothing boolean,
    l_account text[], l_fund text[], l_facility text[], l_side text[], l_amount bigint[], l_currency text[], p_event jsonb
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    id bigint;
BEGIN
    IF on_conflict_nothing THEN
        INSERT INTO ledger.journal_entry (event_key, effective_date, description, reverses, line_count)
        VALUES (e_key, e_date, e_description, e_reverses, cardinality(l_account))
        ON CONFLICT (event_key) DO NOTHING
        RETURNING entry_id INTO id;
        IF id IS NULL THEN
            RETURN NULL;
        END IF;
    ELSE
        INSERT INTO ledger.journal_entry (event_key, effective_date, description, reverses, line_count)
        VALUES (e_key, e_date, e_description, e_reverses, cardinality(l_account))
        RETURNING entry_id INTO id;
    END IF;
    INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, facility_id, side, amount_minor, currency)
    SELECT id, l.n, l.account, l.fund, l.facility_id, l.side, l.amount_minor, l.currency
      FROM unnest(l_account, l_fund, l_facility, l_side, l_amount, l_currency) WITH ORDINALITY
           AS l(account, fund, facility_id, side, amount_minor, currency, n);
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
REVOKE EXECUTE ON FUNCTION ledger.post_entry(text, date, text, bigint, boolean, text[], text[], text[], text[], bigint[], text[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_entry(text, date, text, bigint, boolean, text[], text[], text[], text[], bigint[], text[], jsonb) TO ledger_officer;

-- A batch of entries (an import's 5,000 events) as arrays, one per column: PostgreSQL reads an
-- array literal in one pass and unnest zips the columns in one scan. Entries are numbered from 1
-- in the order given; a line and an event name their entry by that number. Returns each new
-- entry's key and id, in entry order.
CREATE FUNCTION ledger.post_entry_columns(
    e_key text[], e_date date[], e_description text[], e_reverses bigint[], e_line_count integer[],
    l_entry integer[], l_no integer[], l_account text[], l_fund text[], l_facility text[], l_side text[], l_amount bigint[],
    l_currency text[],
    v_entry integer[], v_id text[], v_type text[], v_facility text[], v_fund text[], v_date date[], v_amount bigint[],
    v_currency text[], v_reference text[], v_memo text[], v_from date[], v_to date[]
) RETURNS TABLE (out_key text, out_id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS post_entries_new (k text PRIMARY KEY, id bigint NOT NULL, ord bigint NOT NULL) ON COMMIT DROP;
    TRUNCATE post_entries_new;
    WITH src AS (
        SELECT * FROM unnest(e_key, e_date, e_description, e_reverses, e_line_count)
                      WITH ORDINALITY AS s(k, d, description, reverses, line_count, ord)
    ), e AS (
        INSERT INTO ledger.journal_entry (event_key, effective_date, description, reverses, line_count)
        SELECT src.k, src.d, src.description, src.reverses, src.line_count FROM src ORDER BY src.ord
        RETURNING journal_entry.event_key, journal_entry.entry_id
    )
    INSERT INTO post_entries_new (k, id, ord)
    SELECT e.event_key, e.entry_id, src.ord FROM e JOIN src ON src.k = e.event_key;

    INSERT INTO ledger.journal_line (entry_id, line_no, account, fund, facility_id, side, amount_minor, currency)
    SELECT n.id, l.no, l.account, l.fund, l.facility, l.side, l.amount, l.currency
      FROM unnest(l_entry, l_no, l_account, l_fund, l_facility, l_side, l_amount, l_currency)
           AS l(entry, no, account, fund, facility, side, amount, currency)
      JOIN post_entries_new n ON n.ord = l.entry
     ORDER BY n.id, l.no;

    INSERT INTO ledger.event (event_id, entry_id, event_type, facility_id, fund, effective_date, amount_minor, currency,
                              reference, memo, accrued_from, accrued_to)
    SELECT v.id, n.id, v.type, v.facility, v.fund, v.d, v.amount, v.currency, v.reference, v.memo, v.accrued_from, v.accrued_to
      FROM unnest(v_entry, v_id, v_type, v_facility, v_fund, v_date, v_amount, v_currency, v_reference, v_memo, v_from, v_to)
           AS v(entry, id, type, facility, fund, d, amount, currency, reference, memo, accrued_from, accrued_to)
      JOIN post_entries_new n ON n.ord = v.entry
     ORDER BY n.id;

    RETURN QUERY SELECT n.k, n.id FROM post_entries_new n ORDER BY n.ord;
END $$;
REVOKE EXECUTE ON FUNCTION ledger.post_entry_columns(text[], date[], text[], bigint[], integer[], integer[], integer[], text[], text[],
                                                     text[], text[], bigint[], text[], integer[], text[], text[], text[], text[], date[],
                                                     bigint[], text[], text[], text[], date[], date[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_entry_columns(text[], date[], text[], bigint[], integer[], integer[], integer[], text[], text[],
                                                    text[], text[], bigint[], text[], integer[], text[], text[], text[], text[], date[],
                                                    bigint[], text[], text[], text[], date[], date[]) TO ledger_officer;

RESET ROLE;  -- back to the migrating user, who records the migration
