-- Bank and Treasury statements and their matches to the journal (DOMAIN.md §7, DESIGN.md §5).
--
-- Guarantees: a statement, its items and every match are kept as recorded, with who and when;
-- nothing is updated or deleted, by any role. An entry is matched to one statement item at most; a
-- manual match has a reason. Only ledger_reconciler stores statements and matches, and it cannot
-- post: an adjusting entry is an officer's.

SET LOCAL ROLE ledger_owner;

CREATE TABLE ledger.bank_statement (
    statement_id text PRIMARY KEY CONSTRAINT bank_statement_id_length CHECK (length(statement_id) BETWEEN 1 AND 200),
    format text NOT NULL CONSTRAINT bank_statement_format_known CHECK (format IN ('csv', 'bai2', 'camt.053')),
    bank_account text NOT NULL,
    -- The ledger account, fund and currency the statement is reconciled to (101000 per fund).
    account text NOT NULL REFERENCES ledger.account,
    fund text NOT NULL REFERENCES ledger.fund,
    currency text NOT NULL CONSTRAINT bank_statement_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    opening_minor bigint NOT NULL,
    closing_minor bigint NOT NULL,
    first_day date,
    last_day date,
    -- The file's SHA-256: the same id with another digest is another file claiming this statement.
    sha256 text NOT NULL CONSTRAINT bank_statement_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    file_name text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user
);

CREATE TABLE ledger.bank_statement_item (
    statement_id text NOT NULL REFERENCES ledger.bank_statement,
    item_no integer NOT NULL CONSTRAINT bank_statement_item_no_positive CHECK (item_no >= 1),
    item_date date NOT NULL,
    amount_minor bigint NOT NULL,
    reference text NOT NULL,
    description text NOT NULL,
    bank_reference text NOT NULL,
    location text NOT NULL,
    -- Each item's own id, by which an officer names it when clearing a break by hand
    -- (`reconcile match --statement-item ID`, DESIGN.md §5); `reconcile breaks` lists it.
    item_id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT bank_statement_item_id_unique UNIQUE,
    PRIMARY KEY (statement_id, item_no)
);

-- A statement item matched to one or more journal entries (several: a batch), by which rule, or by
-- hand with a reason. An entry is matched to one item at most.
CREATE TABLE ledger.statement_match (
    match_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    statement_id text NOT NULL,
    item_no integer NOT NULL,
    entry_id bigint NOT NULL REFERENCES ledger.journal_entry CONSTRAINT statement_match_entry_once UNIQUE,
    rule text NOT NULL CONSTRAINT statement_match_rule_known CHECK (rule IN ('reference', 'amount', 'batch', 'manual')),
    reason text CONSTRAINT statement_match_manual_reason CHECK (rule <> 'manual' OR length(btrim(reason)) > 0),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user,
    FOREIGN KEY (statement_id, item_no) REFERENCES ledger.bank_statement_item
);
CREATE INDEX statement_match_item ON ledger.statement_match (statement_id, item_no);

-- Each entry's net effect on an account, fund and currency (debit − credit), with the reference
-- matching uses (DESIGN.md §5: the event's reference, else its event id). Filters on its grouping
-- columns reach the tables below it, so it reads only the entries asked for.
CREATE VIEW ledger.entry_movement AS
SELECT e.entry_id, e.effective_date, l.account, l.fund, l.currency,
       sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END)::bigint AS net,
       coalesce(nullif(ev.reference, ''), e.event_key) AS reference
  FROM ledger.journal_entry e
  JOIN ledger.journal_line l ON l.entry_id = e.entry_id
  LEFT JOIN ledger.event ev ON ev.entry_id = e.entry_id
 GROUP BY e.entry_id, e.effective_date, l.account, l.fund, l.currency, ev.reference, e.event_key;

-- A statement period's ledger movements, with corrections netted. An entry and the entry
-- reversing it, both dated inside the period, net to nothing: the bank never saw either (a
-- recording error and its correction), so neither is a movement to match and neither is a break.
-- An entry reversed after the period stays a movement of its period; a reversal of an entry dated
-- before the period is a movement of its own. The matcher, the open breaks and the stored result
-- all read the movements through this one function, so they agree on what a period holds.
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

CREATE TRIGGER bank_statement_append_only BEFORE UPDATE OR DELETE ON ledger.bank_statement
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER bank_statement_item_append_only BEFORE UPDATE OR DELETE ON ledger.bank_statement_item
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER statement_match_append_only BEFORE UPDATE OR DELETE ON ledger.statement_match
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER bank_statement_no_truncate BEFORE TRUNCATE ON ledger.bank_statement
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER bank_statement_item_no_truncate BEFORE TRUNCATE ON ledger.bank_statement_item
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER statement_match_no_truncate BEFORE TRUNCATE ON ledger.statement_match
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

GRANT SELECT ON ledger.entry_movement TO ledger_officer, ledger_reporter, ledger_reconciler;
REVOKE ALL ON ledger.bank_statement, ledger.bank_statement_item, ledger.statement_match FROM PUBLIC;
GRANT SELECT ON ledger.bank_statement, ledger.bank_statement_item, ledger.statement_match TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT INSERT ON ledger.bank_statement, ledger.bank_statement_item, ledger.statement_match TO ledger_reconciler;
GRANT USAGE ON SEQUENCE ledger.statement_match_match_id_seq TO ledger_reconciler;
REVOKE ALL ON FUNCTION ledger.statement_movements(text, text, text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.statement_movements(text, text, text, date, date) TO ledger_officer, ledger_reporter, ledger_reconciler;

RESET ROLE;  -- back to the migrating user, who records the migration
