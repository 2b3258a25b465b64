-- Database roles (issue 6): least privilege, designed in before more is built on the schema.
--
--   ledger_owner       owns the schema, its tables and the trigger functions (migrations run as it
--                      or as a superuser); configuration (accounts, funds, posting rules, limits,
--                      mineral lists) is changed only by it
--   ledger_officer     records facilities, events and entries, rate resets and FX rates, closes
--                      and reopens periods, seals the audit chain; reads everything
--   ledger_reporter    reads everything, writes nothing
--   ledger_reconciler  reads everything (it will own statements and matches)
--
-- The roles are cluster-wide and NOLOGIN: an administrator grants them to login users
-- (`GRANT ledger_officer TO alice`). Derived and audit rows (balances, facility changes) are
-- written only by the triggers, which run as ledger_owner (SECURITY DEFINER): no other role may
-- write them. Journal tables stay append-only for every role, the owner included.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['ledger_owner', 'ledger_officer', 'ledger_reporter', 'ledger_reconciler'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created meanwhile by a migration of another database in the cluster
            END;
        END IF;
    END LOOP;
END $$;

-- The owner owns everything in the schema.
ALTER SCHEMA ledger OWNER TO ledger_owner;
DO $$
DECLARE
    o record;
BEGIN
    FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'ledger' AND c.relkind IN ('r', 'p', 'v') LOOP
        EXECUTE format('ALTER TABLE ledger.%I OWNER TO ledger_owner', o.relname);
    END LOOP;
    FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ledger' LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO ledger_owner', o.f);
    END LOOP;
END $$;

-- Triggers that write derived or audit rows run as the owner, with a fixed search path.
ALTER FUNCTION ledger.apply_lines_to_balances() SECURITY DEFINER SET search_path = pg_catalog, ledger;
ALTER FUNCTION ledger.facility_record_change() SECURITY DEFINER SET search_path = pg_catalog, ledger;

GRANT USAGE ON SCHEMA ledger TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT SELECT ON ALL TABLES IN SCHEMA ledger TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT INSERT ON ledger.journal_entry, ledger.journal_line, ledger.event, ledger.period_event, ledger.entry_seal,
    ledger.rate_reset, ledger.fx_rate TO ledger_officer;
GRANT INSERT, UPDATE ON ledger.facility TO ledger_officer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA ledger TO ledger_officer;
-- The schema_migrations table of the migrator is readable, so `db status` works for every role.
GRANT SELECT ON public.schema_migrations TO ledger_officer, ledger_reporter, ledger_reconciler;
