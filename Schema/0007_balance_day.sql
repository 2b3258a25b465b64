-- Balances per day as well as per month (measured by Scripts/bench: a balance as of a mid-month
-- date added that month's lines one by one, so its cost grew with history). A balance as of any
-- date is now whole months from balance_month plus the month's days from balance_day: its cost
-- follows accounts, facilities and days, never the number of lines. Kept by the same statement
-- trigger, in key order; derived data that `dfc-ledger verify` recomputes.

CREATE TABLE ledger.balance_day (
    account text NOT NULL,
    fund text NOT NULL,
    facility_id text NOT NULL,
    currency text NOT NULL,
    day date NOT NULL,
    debit_minor bigint NOT NULL,
    credit_minor bigint NOT NULL,
    PRIMARY KEY (account, fund, facility_id, currency, day)
);
CREATE INDEX balance_day_day ON ledger.balance_day (day);

INSERT INTO ledger.balance_day (account, fund, facility_id, currency, day, debit_minor, credit_minor)
SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, e.effective_date,
       coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0),
       coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
  FROM ledger.journal_line l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id
 GROUP BY 1, 2, 3, 4, 5;

CREATE OR REPLACE FUNCTION ledger.apply_lines_to_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger.balance_month AS b (account, fund, facility_id, currency, month, debit_minor, credit_minor)
    SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, date_trunc('month', e.effective_date)::date,
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0),
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
      FROM new_lines l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (account, fund, facility_id, currency, month) DO UPDATE
       SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
           credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    INSERT INTO ledger.balance_day AS b (account, fund, facility_id, currency, day, debit_minor, credit_minor)
    SELECT l.account, l.fund, coalesce(l.facility_id, ''), l.currency, e.effective_date,
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0),
           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)
      FROM new_lines l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (account, fund, facility_id, currency, day) DO UPDATE
       SET debit_minor = b.debit_minor + EXCLUDED.debit_minor,
           credit_minor = b.credit_minor + EXCLUDED.credit_minor;
    RETURN NULL;
END $$;
