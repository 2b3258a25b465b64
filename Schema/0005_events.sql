-- Events and the posting rules that turn them into journal entries (DESIGN.md §3–4, DOMAIN.md §4).
--
-- Posting rules are data: one row per line an event type posts. `instrument` is the facility's
-- instrument the rule is for ('' for fund-level events), `funds` the funds a fund-level event may
-- name ('*' any, 'FIN-*' the financing funds). `component` names the amount a line takes: `amount`
-- (the event's amount) or a part the ledger computes from balances (`interest`, `principal`,
-- `total` = interest + principal for a write-off, `cost`, `adjustment-up`, `adjustment-down`,
-- `gain`, `loss`, `up`, `down`). A line whose component is zero is left out.

CREATE TABLE ledger.posting_rule (
    event_type text NOT NULL,
    instrument text NOT NULL CONSTRAINT rule_instrument_known
        CHECK (instrument IN ('', 'direct-loan', 'loan-guarantee', 'equity', 'purchase-commitment', 'grant')),
    funds text NOT NULL DEFAULT '*',
    line_no integer NOT NULL CONSTRAINT rule_line_positive CHECK (line_no >= 1),
    account text NOT NULL REFERENCES ledger.account,
    side text NOT NULL CONSTRAINT rule_side_known CHECK (side IN ('debit', 'credit')),
    component text NOT NULL DEFAULT 'amount' CONSTRAINT rule_component_known
        CHECK (component IN ('amount', 'interest', 'principal', 'total', 'cost', 'adjustment-up', 'adjustment-down', 'gain', 'loss', 'up', 'down', 'proceeds')),
    PRIMARY KEY (event_type, instrument, line_no)
);

INSERT INTO ledger.posting_rule (event_type, instrument, funds, line_no, account, side, component) VALUES
    -- Fund-level events.
    ('appropriation', '', '*', 1, '411900', 'debit', 'amount'), ('appropriation', '', '*', 2, '445000', 'credit', 'amount'),
    ('appropriation', '', '*', 3, '101000', 'debit', 'amount'), ('appropriation', '', '*', 4, '310100', 'credit', 'amount'),
    ('borrowing-authority', '', 'FIN-*', 1, '414100', 'debit', 'amount'), ('borrowing-authority', '', 'FIN-*', 2, '445000', 'credit', 'amount'),
    ('apportion', '', '*', 1, '445000', 'debit', 'amount'), ('apportion', '', '*', 2, '451000', 'credit', 'amount'),
    ('allot', '', '*', 1, '451000', 'debit', 'amount'), ('allot', '', '*', 2, '461000', 'credit', 'amount'),
    ('borrow', '', 'FIN-*', 1, '101000', 'debit', 'amount'), ('borrow', '', 'FIN-*', 2, '251000', 'credit', 'amount'),
    ('repay-borrowing', '', 'FIN-*', 1, '251000', 'debit', 'amount'), ('repay-borrowing', '', 'FIN-*', 2, '101000', 'credit', 'amount'),
    -- Obligations, for every instrument (a guarantee obligates its subsidy cost).
    ('obligate', 'direct-loan', '*', 1, '461000', 'debit', 'amount'), ('obligate', 'direct-loan', '*', 2, '480100', 'credit', 'amount'),
    ('obligate', 'loan-guarantee', '*', 1, '461000', 'debit', 'amount'), ('obligate', 'loan-guarantee', '*', 2, '480100', 'credit', 'amount'),
    ('obligate', 'equity', '*', 1, '461000', 'debit', 'amount'), ('obligate', 'equity', '*', 2, '480100', 'credit', 'amount'),
    ('obligate', 'purchase-commitment', '*', 1, '461000', 'debit', 'amount'), ('obligate', 'purchase-commitment', '*', 2, '480100', 'credit', 'amount'),
    ('obligate', 'grant', '*', 1, '461000', 'debit', 'amount'), ('obligate', 'grant', '*', 2, '480100', 'credit', 'amount'),
    ('deobligate', 'direct-loan', '*', 1, '480100', 'debit', 'amount'), ('deobligate', 'direct-loan', '*', 2, '461000', 'credit', 'amount'),
    ('deobligate', 'loan-guarantee', '*', 1, '480100', 'debit', 'amount'), ('deobligate', 'loan-guarantee', '*', 2, '461000', 'credit', 'amount'),
    ('deobligate', 'equity', '*', 1, '480100', 'debit', 'amount'), ('deobligate', 'equity', '*', 2, '461000', 'credit', 'amount'),
    ('deobligate', 'purchase-commitment', '*', 1, '480100', 'debit', 'amount'), ('deobligate', 'purchase-commitment', '*', 2, '461000', 'credit', 'amount'),
    ('deobligate', 'grant', '*', 1, '480100', 'debit', 'amount'), ('deobligate', 'grant', '*', 2, '461000', 'credit', 'amount'),
    -- Direct loans.
    ('disburse', 'direct-loan', '*', 1, '135000', 'debit', 'amount'), ('disburse', 'direct-loan', '*', 2, '101000', 'credit', 'amount'),
    ('disburse', 'direct-loan', '*', 3, '480100', 'debit', 'amount'), ('disburse', 'direct-loan', '*', 4, '490200', 'credit', 'amount'),
    ('accrue', 'direct-loan', '*', 1, '134100', 'debit', 'amount'), ('accrue', 'direct-loan', '*', 2, '531000', 'credit', 'amount'),
    ('capitalize-interest', 'direct-loan', '*', 1, '135000', 'debit', 'amount'), ('capitalize-interest', 'direct-loan', '*', 2, '134100', 'credit', 'amount'),
    ('repay-interest', 'direct-loan', '*', 1, '101000', 'debit', 'amount'), ('repay-interest', 'direct-loan', '*', 2, '134100', 'credit', 'amount'),
    ('repay-interest', 'direct-loan', '*', 3, '420100', 'debit', 'amount'), ('repay-interest', 'direct-loan', '*', 4, '426600', 'credit', 'amount'),
    ('repay-principal', 'direct-loan', '*', 1, '101000', 'debit', 'amount'), ('repay-principal', 'direct-loan', '*', 2, '135000', 'credit', 'amount'),
    ('repay-principal', 'direct-loan', '*', 3, '420100', 'debit', 'amount'), ('repay-principal', 'direct-loan', '*', 4, '426600', 'credit', 'amount'),
    -- repay: one receipt, split by the waterfall (accrued interest first, then principal).
    ('repay', 'direct-loan', '*', 1, '101000', 'debit', 'amount'), ('repay', 'direct-loan', '*', 2, '134100', 'credit', 'interest'),
    ('repay', 'direct-loan', '*', 3, '135000', 'credit', 'principal'), ('repay', 'direct-loan', '*', 4, '420100', 'debit', 'amount'),
    ('repay', 'direct-loan', '*', 5, '426600', 'credit', 'amount'),
    ('fee', 'direct-loan', '*', 1, '101000', 'debit', 'amount'), ('fee', 'direct-loan', '*', 2, '139900', 'credit', 'amount'),
    ('fee', 'direct-loan', '*', 3, '420100', 'debit', 'amount'), ('fee', 'direct-loan', '*', 4, '426600', 'credit', 'amount'),
    ('write-off', 'direct-loan', '*', 1, '139900', 'debit', 'total'), ('write-off', 'direct-loan', '*', 2, '135000', 'credit', 'principal'),
    ('write-off', 'direct-loan', '*', 3, '134100', 'credit', 'interest'),
    -- Grants.
    ('disburse', 'grant', '*', 1, '610000', 'debit', 'amount'), ('disburse', 'grant', '*', 2, '101000', 'credit', 'amount'),
    ('disburse', 'grant', '*', 3, '480100', 'debit', 'amount'), ('disburse', 'grant', '*', 4, '490200', 'credit', 'amount'),
    -- Loan guarantees.
    ('guarantee-issue', 'loan-guarantee', '*', 1, '920100', 'debit', 'amount'), ('guarantee-issue', 'loan-guarantee', '*', 2, '921100', 'credit', 'amount'),
    ('guarantee-reduce', 'loan-guarantee', '*', 1, '921100', 'debit', 'amount'), ('guarantee-reduce', 'loan-guarantee', '*', 2, '920100', 'credit', 'amount'),
    ('guarantee-claim', 'loan-guarantee', '*', 1, '218000', 'debit', 'amount'), ('guarantee-claim', 'loan-guarantee', '*', 2, '101000', 'credit', 'amount'),
    ('guarantee-claim', 'loan-guarantee', '*', 3, '921100', 'debit', 'amount'), ('guarantee-claim', 'loan-guarantee', '*', 4, '920100', 'credit', 'amount'),
    ('guarantee-recovery', 'loan-guarantee', '*', 1, '101000', 'debit', 'amount'), ('guarantee-recovery', 'loan-guarantee', '*', 2, '218000', 'credit', 'amount'),
    -- Equity.
    ('equity-call', 'equity', '*', 1, '169000', 'debit', 'amount'), ('equity-call', 'equity', '*', 2, '101000', 'credit', 'amount'),
    ('equity-call', 'equity', '*', 3, '480100', 'debit', 'amount'), ('equity-call', 'equity', '*', 4, '490200', 'credit', 'amount'),
    ('equity-valuation', 'equity', '*', 1, '161800', 'debit', 'up'), ('equity-valuation', 'equity', '*', 2, '719000', 'credit', 'up'),
    ('equity-valuation', 'equity', '*', 3, '729000', 'debit', 'down'), ('equity-valuation', 'equity', '*', 4, '161800', 'credit', 'down'),
    ('equity-distribution', 'equity', '*', 1, '101000', 'debit', 'amount'), ('equity-distribution', 'equity', '*', 2, '169000', 'credit', 'amount'),
    ('equity-exit', 'equity', '*', 1, '101000', 'debit', 'proceeds'), ('equity-exit', 'equity', '*', 2, '169000', 'credit', 'cost'),
    ('equity-exit', 'equity', '*', 3, '161800', 'credit', 'adjustment-up'), ('equity-exit', 'equity', '*', 4, '161800', 'debit', 'adjustment-down'),
    ('equity-exit', 'equity', '*', 5, '719000', 'credit', 'gain'), ('equity-exit', 'equity', '*', 6, '729000', 'debit', 'loss'),
    -- DPA §303 purchases.
    ('purchase', 'purchase-commitment', '*', 1, '152100', 'debit', 'amount'), ('purchase', 'purchase-commitment', '*', 2, '101000', 'credit', 'amount'),
    ('purchase', 'purchase-commitment', '*', 3, '480100', 'debit', 'amount'), ('purchase', 'purchase-commitment', '*', 4, '490200', 'credit', 'amount'),
    ('resale', 'purchase-commitment', '*', 1, '101000', 'debit', 'proceeds'), ('resale', 'purchase-commitment', '*', 2, '152100', 'credit', 'cost'),
    ('resale', 'purchase-commitment', '*', 3, '719000', 'credit', 'gain'), ('resale', 'purchase-commitment', '*', 4, '729000', 'debit', 'loss');

-- Each event recorded, with the entry that posted it (same transaction, same key). Append-only.
CREATE TABLE ledger.event (
    event_id text PRIMARY KEY REFERENCES ledger.journal_entry (event_key),
    entry_id bigint NOT NULL UNIQUE REFERENCES ledger.journal_entry,
    event_type text NOT NULL,
    facility_id text REFERENCES ledger.facility,
    fund text NOT NULL REFERENCES ledger.fund,
    effective_date date NOT NULL,
    -- NULL only for a write-off of everything (computed from balances; the lines hold the amounts);
    -- negative only for a fall in equity value.
    amount_minor bigint CONSTRAINT event_amount_positive CHECK (amount_minor > 0 OR (event_type = 'equity-valuation' AND amount_minor < 0)),
    currency text NOT NULL,
    reference text NOT NULL DEFAULT '',
    memo text NOT NULL DEFAULT '',
    -- For accruals: the period [accrued_from, accrued_to) the interest covers.
    accrued_from date,
    accrued_to date,
    CONSTRAINT event_accrual_period CHECK ((accrued_from IS NULL) = (accrued_to IS NULL) AND (accrued_to IS NULL OR accrued_from < accrued_to))
);
CREATE INDEX event_facility ON ledger.event (facility_id, event_type, effective_date) WHERE facility_id IS NOT NULL;
CREATE INDEX event_reference ON ledger.event (reference) WHERE reference <> '';

CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON ledger.event
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON ledger.event
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger.event FROM PUBLIC;
