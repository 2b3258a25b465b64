-- The ledger's schema and its database roles (DESIGN.md §2; issue 6: least privilege).
--
-- Guarantees: the schema `ledger` and everything in it belong to ledger_owner; every other role
-- gets only what its work needs, granted next to each table in the files that follow:
--
--   ledger_owner       owns the schema, its tables and functions (migrations run as it or as a
--                      superuser); configuration (accounts, funds, posting rules, limits, mineral
--                      lists) is changed only by it
--   ledger_officer     records facilities, events and entries (through ledger.post_entry and
--                      ledger.post_entry_columns only), rate resets and FX rates, closes and reopens
--                      periods, seals the audit chain; reads everything
--   ledger_reporter    reads everything, writes nothing
--   ledger_reconciler  reads everything; stores bank and Treasury statements and their matches
--                      (0010); never posts
--
-- The roles are cluster-wide and NOLOGIN: an administrator grants them to login users
-- (`GRANT ledger_officer TO alice`). Derived and audit rows (balances, event sums, facility
-- changes, seals' checks) are written only by triggers and functions that run as ledger_owner
-- (SECURITY DEFINER, with a fixed search_path): no other role may write them. Journal tables stay
-- append-only for every role, the owner included.
--
-- This file and the nine after it are the baseline: the final design stated once, a file per
-- concern. A database built from the migrations before it (0001_chart_of_accounts.sql …) is
-- refused by `db migrate`; rebuild a development database with `Scripts/db destroy`.

CREATE SCHEMA ledger;

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

ALTER SCHEMA ledger OWNER TO ledger_owner;
GRANT USAGE ON SCHEMA ledger TO ledger_officer, ledger_reporter, ledger_reconciler;
-- The schema_migrations table of the migrator is readable, so `db status` works for every role.
GRANT SELECT ON public.schema_migrations TO ledger_officer, ledger_reporter, ledger_reconciler;
