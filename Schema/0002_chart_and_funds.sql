-- The chart of accounts and the funds (DOMAIN.md §3), as data an accountant can read and change.
--
-- Guarantees: an account number is six digits and its set follows its number (the 9xxxxx range is
-- memorandum, and only it), so a line can never land in the wrong balancing set; an account or a
-- fund, once there, is never deleted or renumbered — journal lines and events name them without a
-- foreign key's row locks (see 0003), so what they name must stay. Rows marked (verify) in
-- DOMAIN.md carry needs_verification = true until an accountant confirms them against the current
-- USSGL TFM supplement.

SET LOCAL ROLE ledger_owner;

CREATE TABLE ledger.account (
    number text PRIMARY KEY
        CONSTRAINT account_number_six_digits CHECK (number ~ '^[0-9]{6}$'),
    title text NOT NULL
        CONSTRAINT account_title_present CHECK (btrim(title) <> ''),
    account_set text NOT NULL
        CONSTRAINT account_set_known CHECK (account_set IN ('proprietary', 'budgetary', 'memorandum')),
    account_type text NOT NULL
        CONSTRAINT account_type_known CHECK (account_type IN (
            'asset', 'contra-asset', 'asset-valuation', 'liability', 'net-position', 'revenue',
            'financing-source', 'expense', 'gain', 'loss', 'resource', 'status', 'memo')),
    normal_balance text NOT NULL
        CONSTRAINT account_normal_balance_side CHECK (normal_balance IN ('debit', 'credit')),
    needs_verification boolean NOT NULL DEFAULT false,
    note text
);

-- Memorandum accounts are the 9xxxxx range; the set follows the number so that a line can never
-- land in the wrong balancing set.
ALTER TABLE ledger.account ADD CONSTRAINT account_memorandum_range
    CHECK ((account_set = 'memorandum') = (number LIKE '9%'));

CREATE TABLE ledger.fund (
    code text PRIMARY KEY
        CONSTRAINT fund_code_format CHECK (code ~ '^[A-Z][A-Z0-9-]{1,15}$'),
    title text NOT NULL,
    fund_kind text NOT NULL
        CONSTRAINT fund_kind_known CHECK (fund_kind IN ('program', 'financing', 'equity', 'purchase'))
);

-- Accounts and funds: named by lines and events, so never deleted or renumbered (TG_ARGV[0]: the
-- key column).
CREATE FUNCTION ledger.refuse_unnaming() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        RAISE EXCEPTION '% % cannot be deleted or renumbered: journal lines and events name it', TG_TABLE_NAME, to_jsonb(OLD)->>TG_ARGV[0]
            USING ERRCODE = 'LX003', HINT = 'an account or fund no longer used stays where it is';
    END IF;
    RAISE EXCEPTION '% cannot be truncated: journal lines and events name its rows', TG_TABLE_NAME USING ERRCODE = 'LX003';
END $$;

CREATE TRIGGER account_kept BEFORE DELETE ON ledger.account
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_unnaming('number');
CREATE TRIGGER account_number_kept BEFORE UPDATE ON ledger.account
    FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number) EXECUTE FUNCTION ledger.refuse_unnaming('number');
CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON ledger.account
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_unnaming();
CREATE TRIGGER fund_kept BEFORE DELETE ON ledger.fund
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_unnaming('code');
CREATE TRIGGER fund_code_kept BEFORE UPDATE ON ledger.fund
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION ledger.refuse_unnaming('code');
CREATE TRIGGER fund_no_truncate BEFORE TRUNCATE ON ledger.fund
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_unnaming();

INSERT INTO ledger.account (number, title, normal_balance, account_set, account_type, needs_verification, note) VALUES
    ('101000', 'Fund Balance With Treasury', 'debit', 'proprietary', 'asset', false, NULL),
    ('131000', 'Accounts Receivable', 'debit', 'proprietary', 'asset', false, NULL),
    ('134100', 'Interest Receivable – Loans', 'debit', 'proprietary', 'asset', false, NULL),
    ('135000', 'Loans Receivable', 'debit', 'proprietary', 'asset', false, NULL),
    ('139900', 'Allowance for Subsidy', 'credit', 'proprietary', 'contra-asset', false, 'may carry a debit balance'),
    ('152100', 'Inventory Purchased for Resale', 'debit', 'proprietary', 'asset', true, NULL),
    ('161800', 'Market Adjustment – Investments', 'debit', 'proprietary', 'asset-valuation', false, NULL),
    ('169000', 'Other Investments (equity stakes)', 'debit', 'proprietary', 'asset', false, NULL),
    ('214000', 'Accrued Interest Payable to Treasury', 'credit', 'proprietary', 'liability', true, NULL),
    ('218000', 'Loan Guarantee Liability', 'credit', 'proprietary', 'liability', true, 'verify number'),
    ('251000', 'Principal Payable to the Bureau of the Fiscal Service', 'credit', 'proprietary', 'liability', true, NULL),
    ('310100', 'Unexpended Appropriations – Received', 'credit', 'proprietary', 'net-position', false, NULL),
    ('310700', 'Unexpended Appropriations – Used', 'debit', 'proprietary', 'net-position', false, NULL),
    ('531000', 'Interest Revenue', 'credit', 'proprietary', 'revenue', true, NULL),
    ('570000', 'Expended Appropriations', 'credit', 'proprietary', 'financing-source', false, NULL),
    ('610000', 'Operating Expenses/Program Costs', 'debit', 'proprietary', 'expense', true, NULL),
    ('631000', 'Interest Expense on Borrowing from Treasury', 'debit', 'proprietary', 'expense', true, NULL),
    ('719000', 'Other Gains', 'credit', 'proprietary', 'gain', true, NULL),
    ('729000', 'Other Losses', 'debit', 'proprietary', 'loss', true, NULL),
    ('411900', 'Other Appropriations Realized', 'debit', 'budgetary', 'resource', false, NULL),
    ('414100', 'Current-Year Borrowing Authority Realized', 'debit', 'budgetary', 'resource', false, NULL),
    ('420100', 'Total Actual Resources – Collected', 'debit', 'budgetary', 'resource', false, NULL),
    ('426600', 'Other Actual Business-Type Collections From Non-Federal Sources', 'credit', 'budgetary', 'resource', true, 'verify normal balance'),
    ('445000', 'Unapportioned Authority', 'credit', 'budgetary', 'status', false, NULL),
    ('451000', 'Apportionments', 'credit', 'budgetary', 'status', false, NULL),
    ('461000', 'Allotments – Realized Resources', 'credit', 'budgetary', 'status', false, NULL),
    ('480100', 'Undelivered Orders – Obligations, Unpaid', 'credit', 'budgetary', 'status', false, NULL),
    ('490200', 'Delivered Orders – Obligations, Paid', 'credit', 'budgetary', 'status', false, NULL),
    ('920100', 'Guaranteed principal outstanding (memo)', 'debit', 'memorandum', 'memo', false, NULL),
    ('921100', 'Guaranteed principal outstanding – contra (memo)', 'credit', 'memorandum', 'memo', false, NULL);

INSERT INTO ledger.fund (code, title, fund_kind) VALUES
    ('PRG', 'Program account', 'program'),
    ('FIN-DL', 'Direct loan financing account', 'financing'),
    ('FIN-LG', 'Loan guarantee financing account', 'financing'),
    ('EQ', 'Equity account', 'equity'),
    ('DPA', 'DPA purchase fund', 'purchase');

GRANT SELECT ON ledger.account, ledger.fund TO ledger_officer, ledger_reporter, ledger_reconciler;

RESET ROLE;  -- back to the migrating user, who records the migration
