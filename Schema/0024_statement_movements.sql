-- A statement period's ledger movements, with corrections netted, and statement items' ids (issue 18).
--
-- A movement is one entry's net effect on an account, fund and currency (ledger.entry_movement).
-- An entry and the entry reversing it, both dated inside the period, net to nothing: the bank
-- never saw either (a recording error and its correction), so neither is a movement to match and
-- neither is a break. An entry reversed after the period stays a movement of its period; a
-- reversal of an entry dated before the period is a movement of its own.
--
-- The matcher, the open breaks and the stored result all read the movements through this one
-- function, so they agree on what a period holds.
CREATE FUNCTION ledger.statement_movements(p_account text, p_fund text, p_currency text, p_from date, p_to date)
RETURNS TABLE (entry_id bigint, effective_date date, net bigint, reference text)
LANGUAGE sql STABLE AS $$
    SELECT mv.entry_id, mv.effective_date, mv.net, mv.reference
      FROM ledger.entry_movement mv
      JOIN ledger.journal_entry e ON e.entry_id = mv.entry_id
     WHERE mv.effective_date BETWEEN p_from AND p_to
       AND mv.account = p_account AND mv.fund = p_fund AND mv.currency = p_currency AND mv.net <> 0
       AND NOT EXISTS (SELECT 1 FROM ledger.journal_entry r WHERE r.reverses = mv.entry_id AND r.effective_date <= p_to)
       AND NOT EXISTS (SELECT 1 FROM ledger.journal_entry o WHERE o.entry_id = e.reverses AND o.effective_date >= p_from)
$$;

ALTER FUNCTION ledger.statement_movements(text, text, text, date, date) OWNER TO ledger_owner;
REVOKE ALL ON FUNCTION ledger.statement_movements(text, text, text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.statement_movements(text, text, text, date, date) TO ledger_officer, ledger_reporter, ledger_reconciler;

-- Each statement item's own id, by which an officer names it when clearing a break by hand
-- (`reconcile match --statement-item ID`, DESIGN.md §5); `reconcile breaks` lists it.
ALTER TABLE ledger.bank_statement_item ADD COLUMN item_id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT bank_statement_item_id_unique UNIQUE;
