-- A batch of entries sent as arrays, one per column, instead of one JSON document (issue 5:
-- Scripts/bench). The server spent ~59 ms of a 5,000-event import batch's ~355 parsing its JSON
-- (server log), and more taking it apart again per entry, line and event. The same 5,000 entries
-- of 4 lines each, rolled back each time: 366-381 ms through post_entries(jsonb), 281-300 ms as
-- arrays (a third of the bytes; PostgreSQL reads an array literal in one pass and unnest zips the
-- columns in one scan).
--
-- Entries are numbered from 1 in the order given; a line and an event name their entry by that
-- number. Same rules as ledger.post_entries, which it replaces (dropped below: nothing calls it
-- any more): runs as ledger_owner, officers may call it, every journal rule is checked by the
-- triggers. Returns each new entry's key and id, in entry order.
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

ALTER FUNCTION ledger.post_entry_columns(text[], date[], text[], bigint[], integer[], integer[], integer[], text[], text[], text[], text[],
                                         bigint[], text[], integer[], text[], text[], text[], text[], date[], bigint[], text[], text[],
                                         text[], date[], date[]) OWNER TO ledger_owner;
REVOKE EXECUTE ON FUNCTION ledger.post_entry_columns(text[], date[], text[], bigint[], integer[], integer[], integer[], text[], text[],
                                                     text[], text[], bigint[], text[], integer[], text[], text[], text[], text[], date[],
                                                     bigint[], text[], text[], text[], date[], date[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_entry_columns(text[], date[], text[], bigint[], integer[], integer[], integer[], text[], text[],
                                                    text[], text[], bigint[], text[], integer[], text[], text[], text[], text[], date[],
                                                    bigint[], text[], text[], text[], date[], date[]) TO ledger_officer;

DROP FUNCTION ledger.post_entries(jsonb);
