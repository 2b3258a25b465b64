-- Financing facilities (DESIGN.md §3, §5): the terms and tags of each financing, every later
-- change to them, the critical-mineral lists they are tagged from, and floating-rate resets.
-- Importing a facility posts nothing; obligations come from events.
--
-- Guarantees: a facility's fields have their formats and its minerals are on a list (LX006); a
-- facility is never deleted, and every change to one after it was created is recorded field by
-- field, with who and when, by the database itself (facility_change, append-only), so no change
-- can go unrecorded and a report can show a facility as it was known at any time. Rate resets are
-- append-only: a reset, once imported, is what accruals were computed from.

SET LOCAL ROLE ledger_owner;

-- The critical-mineral lists (DOMAIN.md §6) as data: a mineral carries every list it is on.
CREATE TABLE ledger.mineral_list (
    mineral text NOT NULL CONSTRAINT mineral_name_format CHECK (mineral ~ '^[a-z][a-z ]*[a-z]$'),
    list_tag text NOT NULL CONSTRAINT mineral_list_tag_format CHECK (list_tag ~ '^[A-Z]+-[0-9]{4,5}$'),
    PRIMARY KEY (mineral, list_tag)
);
INSERT INTO ledger.mineral_list (mineral, list_tag) VALUES
    ('aluminum', 'USGS-2022'),
    ('antimony', 'USGS-2022'),
    ('arsenic', 'USGS-2022'),
    ('barite', 'USGS-2022'),
    ('beryllium', 'USGS-2022'),
    ('bismuth', 'USGS-2022'),
    ('cerium', 'USGS-2022'),
    ('cesium', 'USGS-2022'),
    ('chromium', 'USGS-2022'),
    ('cobalt', 'USGS-2022'),
    ('dysprosium', 'USGS-2022'),
    ('erbium', 'USGS-2022'),
    ('europium', 'USGS-2022'),
    ('fluorspar', 'USGS-2022'),
    ('gadolinium', 'USGS-2022'),
    ('gallium', 'USGS-2022'),
    ('germanium', 'USGS-2022'),
    ('graphite', 'USGS-2022'),
    ('hafnium', 'USGS-2022'),
    ('holmium', 'USGS-2022'),
    ('indium', 'USGS-2022'),
    ('iridium', 'USGS-2022'),
    ('lanthanum', 'USGS-2022'),
    ('lithium', 'USGS-2022'),
    ('lutetium', 'USGS-2022'),
    ('magnesium', 'USGS-2022'),
    ('manganese', 'USGS-2022'),
    ('neodymium', 'USGS-2022'),
    ('nickel', 'USGS-2022'),
    ('niobium', 'USGS-2022'),
    ('palladium', 'USGS-2022'),
    ('platinum', 'USGS-2022'),
    ('praseodymium', 'USGS-2022'),
    ('rhodium', 'USGS-2022'),
    ('rubidium', 'USGS-2022'),
    ('ruthenium', 'USGS-2022'),
    ('samarium', 'USGS-2022'),
    ('scandium', 'USGS-2022'),
    ('tantalum', 'USGS-2022'),
    ('tellurium', 'USGS-2022'),
    ('terbium', 'USGS-2022'),
    ('thulium', 'USGS-2022'),
    ('tin', 'USGS-2022'),
    ('titanium', 'USGS-2022'),
    ('tungsten', 'USGS-2022'),
    ('vanadium', 'USGS-2022'),
    ('ytterbium', 'USGS-2022'),
    ('yttrium', 'USGS-2022'),
    ('zinc', 'USGS-2022'),
    ('zirconium', 'USGS-2022'),
    ('aluminum', 'USGS-2025'),
    ('antimony', 'USGS-2025'),
    ('arsenic', 'USGS-2025'),
    ('barite', 'USGS-2025'),
    ('beryllium', 'USGS-2025'),
    ('bismuth', 'USGS-2025'),
    ('cerium', 'USGS-2025'),
    ('cesium', 'USGS-2025'),
    ('chromium', 'USGS-2025'),
    ('cobalt', 'USGS-2025'),
    ('dysprosium', 'USGS-2025'),
    ('erbium', 'USGS-2025'),
    ('europium', 'USGS-2025'),
    ('fluorspar', 'USGS-2025'),
    ('gadolinium', 'USGS-2025'),
    ('gallium', 'USGS-2025'),
    ('germanium', 'USGS-2025'),
    ('graphite', 'USGS-2025'),
    ('hafnium', 'USGS-2025'),
    ('holmium', 'USGS-2025'),
    ('indium', 'USGS-2025'),
    ('iridium', 'USGS-2025'),
    ('lanthanum', 'USGS-2025'),
    ('lithium', 'USGS-2025'),
    ('lutetium', 'USGS-2025'),
    ('magnesium', 'USGS-2025'),
    ('manganese', 'USGS-2025'),
    ('neodymium', 'USGS-2025'),
    ('nickel', 'USGS-2025'),
    ('niobium', 'USGS-2025'),
    ('palladium', 'USGS-2025'),
    ('platinum', 'USGS-2025'),
    ('praseodymium', 'USGS-2025'),
    ('rhodium', 'USGS-2025'),
    ('rubidium', 'USGS-2025'),
    ('ruthenium', 'USGS-2025'),
    ('samarium', 'USGS-2025'),
    ('scandium', 'USGS-2025'),
    ('tantalum', 'USGS-2025'),
    ('tellurium', 'USGS-2025'),
    ('terbium', 'USGS-2025'),
    ('thulium', 'USGS-2025'),
    ('tin', 'USGS-2025'),
    ('titanium', 'USGS-2025'),
    ('tungsten', 'USGS-2025'),
    ('vanadium', 'USGS-2025'),
    ('ytterbium', 'USGS-2025'),
    ('yttrium', 'USGS-2025'),
    ('zinc', 'USGS-2025'),
    ('zirconium', 'USGS-2025'),
    ('boron', 'USGS-2025'),
    ('copper', 'USGS-2025'),
    ('lead', 'USGS-2025'),
    ('metallurgical coal', 'USGS-2025'),
    ('phosphate', 'USGS-2025'),
    ('potash', 'USGS-2025'),
    ('rhenium', 'USGS-2025'),
    ('silicon', 'USGS-2025'),
    ('silver', 'USGS-2025'),
    ('uranium', 'USGS-2025'),
    ('gold', 'EO-14241');

CREATE TABLE ledger.facility (
    facility_id text PRIMARY KEY
        CONSTRAINT facility_id_format CHECK (facility_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name text NOT NULL CONSTRAINT facility_name_present CHECK (btrim(name) <> '' AND length(name) <= 200),
    counterparty text NOT NULL CONSTRAINT facility_counterparty_present CHECK (btrim(counterparty) <> '' AND length(counterparty) <= 200),
    instrument text NOT NULL CONSTRAINT facility_instrument_known
        CHECK (instrument IN ('direct-loan', 'loan-guarantee', 'equity', 'purchase-commitment', 'grant')),
    authority text NOT NULL CONSTRAINT facility_authority_known CHECK (authority IN ('DPA-301', 'DPA-302', 'DPA-303', 'BUILD-9621')),
    executive_order text NOT NULL CONSTRAINT facility_executive_order_present CHECK (btrim(executive_order) <> ''),
    country text NOT NULL CONSTRAINT facility_country_format CHECK (country ~ '^[A-Z]{2}$'),
    state text NOT NULL DEFAULT '' CONSTRAINT facility_state_format CHECK (state ~ '^([A-Z]{2})?$'),
    naics text NOT NULL CONSTRAINT facility_naics_format CHECK (naics ~ '^[0-9]{2,6}$'),
    -- The first mineral is the primary one (exposure is grouped by it).
    minerals text[] NOT NULL CONSTRAINT facility_minerals_present CHECK (cardinality(minerals) BETWEEN 1 AND 20),
    cohort_fy integer NOT NULL CONSTRAINT facility_cohort_range CHECK (cohort_fy BETWEEN 1990 AND 2100),
    currency text NOT NULL CONSTRAINT facility_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    obligated_minor bigint NOT NULL CONSTRAINT facility_obligated_positive CHECK (obligated_minor > 0),
    rate numeric CONSTRAINT facility_rate_range CHECK (rate >= 0 AND rate < 1),
    rate_index text,
    spread numeric CONSTRAINT facility_spread_range CHECK (spread > -1 AND spread < 1),
    day_count text CONSTRAINT facility_day_count_known CHECK (day_count IN ('act-360', 'act-365f', '30-360', '30e-360', 'act-act-isda')),
    frequency text CONSTRAINT facility_frequency_known CHECK (frequency IN ('monthly', 'quarterly', 'semiannual', 'annual')),
    amortization text CONSTRAINT facility_amortization_known CHECK (amortization IN ('level-payment', 'level-principal', 'bullet')),
    first_payment date,
    maturity date,
    grace_months integer CONSTRAINT facility_grace_range CHECK (grace_months BETWEEN 0 AND 600),
    shortfall text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by text NOT NULL DEFAULT session_user,
    -- Interest terms: all present (a fixed rate, or an index and spread) for a direct loan, all
    -- absent for the other instruments.
    CONSTRAINT facility_terms_complete CHECK (
        CASE WHEN instrument = 'direct-loan' THEN
            ((rate IS NOT NULL AND rate_index IS NULL AND spread IS NULL) OR (rate IS NULL AND rate_index IS NOT NULL AND spread IS NOT NULL))
            AND day_count IS NOT NULL AND frequency IS NOT NULL AND amortization IS NOT NULL
            AND first_payment IS NOT NULL AND maturity IS NOT NULL AND grace_months IS NOT NULL AND first_payment <= maturity
        ELSE
            rate IS NULL AND rate_index IS NULL AND spread IS NULL AND day_count IS NULL AND frequency IS NULL
            AND amortization IS NULL AND first_payment IS NULL AND maturity IS NULL AND grace_months IS NULL
        END),
    CONSTRAINT facility_shortfall_for_302 CHECK (authority <> 'DPA-302' OR btrim(shortfall) <> '')
);
CREATE INDEX facility_instrument ON ledger.facility (instrument);

-- Every change to a facility after it was created, field by field, with who and when; recorded by
-- the database itself, so no change can go unrecorded. Append-only.
CREATE TABLE ledger.facility_change (
    change_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facility_id text NOT NULL REFERENCES ledger.facility,
    field text NOT NULL,
    old_value jsonb,
    new_value jsonb,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    changed_by text NOT NULL DEFAULT session_user
);
CREATE INDEX facility_change_facility ON ledger.facility_change (facility_id, change_id);

CREATE FUNCTION ledger.facility_check_minerals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unknown text;
BEGIN
    SELECT m INTO unknown FROM unnest(NEW.minerals) AS m
     WHERE NOT EXISTS (SELECT 1 FROM ledger.mineral_list l WHERE l.mineral = m) LIMIT 1;
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'facility %: mineral "%" is on no critical-mineral list', NEW.facility_id, unknown USING ERRCODE = 'LX006';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.facility_id <> OLD.facility_id THEN
            RAISE EXCEPTION 'facility % cannot be renamed', OLD.facility_id USING ERRCODE = 'LX003';
        END IF;
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER facility_check_minerals BEFORE INSERT OR UPDATE ON ledger.facility
    FOR EACH ROW EXECUTE FUNCTION ledger.facility_check_minerals();

CREATE FUNCTION ledger.facility_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger.facility_change (facility_id, field, old_value, new_value)
    SELECT NEW.facility_id, n.key, o.value, n.value
      FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o ON o.key = n.key
     WHERE n.value IS DISTINCT FROM o.value
     ORDER BY n.key;
    RETURN NULL;
END $$;
ALTER FUNCTION ledger.facility_record_change() SECURITY DEFINER SET search_path = pg_catalog, ledger;
CREATE TRIGGER facility_record_change AFTER UPDATE ON ledger.facility
    FOR EACH ROW EXECUTE FUNCTION ledger.facility_record_change();
-- A facility is never deleted (its lines and history refer to it); changes are recorded above.
CREATE TRIGGER facility_no_delete BEFORE DELETE ON ledger.facility
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER facility_no_truncate BEFORE TRUNCATE ON ledger.facility
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER facility_change_append_only BEFORE UPDATE OR DELETE ON ledger.facility_change
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER facility_change_no_truncate BEFORE TRUNCATE ON ledger.facility_change
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
REVOKE DELETE, TRUNCATE ON ledger.facility, ledger.facility_change FROM PUBLIC;

-- Floating-rate index values (`import rates`): the value for day d is the latest reset on or
-- before d. Append-only: a reset, once imported, is what accruals were computed from.
CREATE TABLE ledger.rate_reset (
    rate_index text NOT NULL CONSTRAINT rate_index_format CHECK (rate_index ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    effective_date date NOT NULL,
    rate numeric NOT NULL CONSTRAINT rate_reset_range CHECK (rate > -1 AND rate < 1),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user,
    PRIMARY KEY (rate_index, effective_date)
);
CREATE TRIGGER rate_reset_append_only BEFORE UPDATE OR DELETE ON ledger.rate_reset
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER rate_reset_no_truncate BEFORE TRUNCATE ON ledger.rate_reset
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger.rate_reset FROM PUBLIC;

GRANT SELECT ON ledger.mineral_list, ledger.facility, ledger.facility_change, ledger.rate_reset TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT INSERT, UPDATE ON ledger.facility TO ledger_officer;
GRANT INSERT ON ledger.rate_reset TO ledger_officer;
GRANT USAGE ON SEQUENCE ledger.facility_change_change_id_seq TO ledger_officer;

RESET ROLE;  -- back to the migrating user, who records the migration
