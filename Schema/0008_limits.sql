-- Statutory and policy limits as dated configuration (DOMAIN.md §2), and the FX rates exposure is
-- converted at.
--
-- Guarantees: a limit's value on a date is its latest row effective on or before that date;
-- changing a limit adds a row (who, when, why) and no row is ever changed or deleted, so every past
-- check can be reproduced; only the owner sets limits. FX rates are append-only, USD per unit with
-- at most 10 decimal places.

SET LOCAL ROLE ledger_owner;

CREATE TABLE ledger.limit_config (
    limit_id text NOT NULL CONSTRAINT limit_id_format CHECK (limit_id ~ '^[a-z0-9][a-z0-9:._-]{0,63}$'),
    effective_from date NOT NULL,
    kind text NOT NULL CONSTRAINT limit_kind_known CHECK (kind IN (
        'mcl', 'equity-share', 'dpa302-shortfall', 'country-share', 'mineral-share', 'obligor-share')),
    -- For the *-share concentration limits: the country, mineral or obligor, or '*' for each one.
    scope text NOT NULL DEFAULT '*',
    -- A cap in USD minor units (mcl, dpa302-shortfall) or a share (the others), not both.
    amount_minor bigint CONSTRAINT limit_amount_positive CHECK (amount_minor > 0),
    share numeric CONSTRAINT limit_share_range CHECK (share > 0 AND share <= 1),
    severity text NOT NULL CONSTRAINT limit_severity_known CHECK (severity IN ('block', 'warn')),
    note text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user,
    PRIMARY KEY (limit_id, effective_from),
    CONSTRAINT limit_value_kind CHECK (
        CASE WHEN kind IN ('mcl', 'dpa302-shortfall') THEN amount_minor IS NOT NULL AND share IS NULL
             ELSE share IS NOT NULL AND amount_minor IS NULL END)
);
INSERT INTO ledger.limit_config (limit_id, effective_from, kind, amount_minor, share, severity, note) VALUES
    ('mcl', '2019-12-20', 'mcl', 6000000000000, NULL, 'block', 'BUILD Act, 22 U.S.C. 9633'),
    ('mcl', '2025-12-18', 'mcl', 20500000000000, NULL, 'block', 'FY2026 NDAA reauthorization (verify against enacted text)'),
    ('equity-share', '2019-12-20', 'equity-share', NULL, 0.35, 'block', '22 U.S.C. 9621(c): equity ≤ 35% of aggregate exposure'),
    ('dpa302-shortfall', '1950-09-08', 'dpa302-shortfall', 5000000000, NULL, 'warn', '50 U.S.C. 4532: over $50,000,000 per shortfall needs notice to Congress and 30 days');
CREATE TRIGGER limit_config_append_only BEFORE UPDATE OR DELETE ON ledger.limit_config
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER limit_config_no_truncate BEFORE TRUNCATE ON ledger.limit_config
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- USD per unit of a currency, from a date on (`import fx-rates`). Append-only.
CREATE TABLE ledger.fx_rate (
    currency text NOT NULL CONSTRAINT fx_currency_format CHECK (currency ~ '^[A-Z]{3}$' AND currency <> 'USD'),
    rate_date date NOT NULL,
    usd_per_unit numeric NOT NULL CONSTRAINT fx_rate_positive CHECK (usd_per_unit > 0 AND scale(usd_per_unit) <= 10),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user,
    PRIMARY KEY (currency, rate_date)
);
CREATE TRIGGER fx_rate_append_only BEFORE UPDATE OR DELETE ON ledger.fx_rate
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER fx_rate_no_truncate BEFORE TRUNCATE ON ledger.fx_rate
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger.limit_config, ledger.fx_rate FROM PUBLIC;

GRANT SELECT ON ledger.limit_config, ledger.fx_rate TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT INSERT ON ledger.fx_rate TO ledger_officer;

RESET ROLE;  -- back to the migrating user, who records the migration
