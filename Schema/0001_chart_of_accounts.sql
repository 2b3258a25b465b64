-- The chart of accounts and the funds (DOMAIN.md §3), as data an accountant can read and change.
-- Rows marked (verify) in DOMAIN.md carry needs_verification = true until an accountant confirms
-- them against the current USSGL TFM supplement.

CREATE SCHEMA ledger;

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
