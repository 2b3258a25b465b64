-- A posting's entry and lines as parameters and arrays, one per line column, instead of one JSON
-- document (issue 5: Scripts/bench). Counted with callgrind (2,000 postings through a prepared
-- call in a single-user backend), reading the JSON (jsonb_in ~61k, jsonb_to_recordset ~23k and the
-- ->> lookups) was ~90k of a posting's 1,174k instructions; as arrays the posting takes 1,128k.
--
-- Same rules as the JSON version (0009), which it replaces (dropped below: nothing calls it any
-- more): runs as ledger_owner, officers may call it, every journal rule is checked by the
-- triggers. Line n is element n of every array (numbered from 1); the entry declares as many
-- lines as there are accounts, and arrays of unequal length leave a line with NULLs, which the
-- journal refuses. p_event: null, or the event row as in 0009. Returns the new entry's id; NULL
-- when on_conflict_nothing and the event key exists.
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
ALTER FUNCTION ledger.post_entry(text, date, text, bigint, boolean, text[], text[], text[], text[], bigint[], text[], jsonb) OWNER TO ledger_owner;
REVOKE EXECUTE ON FUNCTION ledger.post_entry(text, date, text, bigint, boolean, text[], text[], text[], text[], bigint[], text[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_entry(text, date, text, bigint, boolean, text[], text[], text[], text[], bigint[], text[], jsonb) TO ledger_officer;
DROP FUNCTION ledger.post_entry(jsonb, jsonb);
