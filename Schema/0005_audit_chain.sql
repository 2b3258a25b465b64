-- The audit chain (DESIGN.md §2, invariant 7; the encoding is documented in Ledger's AuditChain).
--
-- Guarantees: the seals form one chain numbered from 1 with no gap, each naming its predecessor's
-- hash as `previous_sha256` (the first names 64 zeros), each sealing an entry that exists, once;
-- `sealed_at` is the server's clock (LX005, LX006), checked once per statement of seals. Seals are
-- append-only for every role. What each hash covers is recomputed by `dfc-ledger verify`.
--
-- Entries are sealed in recording order, (recorded_xid, entry_id), by a sealer that only takes
-- entries below `chain_bound()`: so an entry still being written can never be passed over, and
-- posting never waits on the chain's head. The unsealed entries are always the ones after the
-- last seal's position, found through the chain-order index.

SET LOCAL ROLE ledger_owner;

CREATE TABLE ledger.entry_seal (
    chain_seq bigint PRIMARY KEY CONSTRAINT seal_seq_positive CHECK (chain_seq >= 1),
    entry_id bigint NOT NULL CONSTRAINT seal_entry_once UNIQUE,
    previous_sha256 text NOT NULL CONSTRAINT seal_previous_hex CHECK (length(previous_sha256) = 64 AND previous_sha256 ~ '^[0-9a-f]*$'),
    sha256 text NOT NULL CONSTRAINT seal_hex CHECK (length(sha256) = 64 AND sha256 ~ '^[0-9a-f]*$'),
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX journal_entry_chain_order ON ledger.journal_entry (recorded_xid, entry_id);

-- The lowest transaction id that may still add entries in this database: the oldest
-- transaction that was in progress at the calling statement's snapshot and that pg_stat_activity
-- (read after the snapshot) still shows running here, or is prepared here; if none, the
-- snapshot's next transaction id. Every transaction below the bound that wrote here had ended
-- before this statement read pg_stat_activity, so a statement started afterwards sees all of its
-- entries; and transactions in other databases of the cluster never hold the chain back. Call it
-- in a statement of its own, before the one that reads the entries below it.
CREATE FUNCTION ledger.chain_bound() RETURNS xid8 LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(
        (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
          WHERE EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid = x::xid AND a.datname = current_database())
             OR EXISTS (SELECT 1 FROM pg_prepared_xacts p WHERE p.transaction = x::xid AND p.database = current_database())),
        pg_snapshot_xmax(pg_current_snapshot()))
$$;

-- The chain's rules, for all the seals a statement inserts at once.
CREATE FUNCTION ledger.accept_seals() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    bad record;
BEGIN
    SELECT * INTO bad FROM (
        SELECT n.chain_seq, n.entry_id,
               CASE WHEN p.chain_seq IS NULL AND n.chain_seq <> 1 THEN 'gap'
                    WHEN n.previous_sha256 <> coalesce(p.sha256, repeat('0', 64)) THEN 'link'
                    WHEN NOT EXISTS (SELECT 1 FROM ledger.journal_entry e WHERE e.entry_id = n.entry_id OFFSET 0) THEN 'entry'
                    WHEN n.sealed_at < transaction_timestamp() OR n.sealed_at > clock_timestamp() THEN 'server-set'
               END AS problem
          FROM new_seals n
          LEFT JOIN LATERAL (SELECT s.chain_seq, s.sha256 FROM ledger.entry_seal s WHERE s.chain_seq = n.chain_seq - 1 OFFSET 0) p ON true
    ) checked WHERE checked.problem IS NOT NULL ORDER BY checked.chain_seq LIMIT 1;
    IF bad.problem IN ('gap', 'link') THEN
        RAISE EXCEPTION 'seal % of entry % does not extend the audit chain (head is %)', bad.chain_seq, bad.entry_id,
            (SELECT coalesce(max(s.chain_seq), 0) FROM ledger.entry_seal s WHERE s.chain_seq < bad.chain_seq)
            USING ERRCODE = 'LX005';
    ELSIF bad.problem = 'entry' THEN
        RAISE EXCEPTION 'seal % names entry %, which does not exist', bad.chain_seq, bad.entry_id USING ERRCODE = 'foreign_key_violation';
    ELSIF bad.problem = 'server-set' THEN
        RAISE EXCEPTION 'seal % sets sealed_at: the server sets it', bad.chain_seq USING ERRCODE = 'LX006';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER entry_seal_accept AFTER INSERT ON ledger.entry_seal
    REFERENCING NEW TABLE AS new_seals FOR EACH STATEMENT EXECUTE FUNCTION ledger.accept_seals();

CREATE TRIGGER entry_seal_append_only BEFORE UPDATE OR DELETE ON ledger.entry_seal
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER entry_seal_no_truncate BEFORE TRUNCATE ON ledger.entry_seal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON ledger.entry_seal FROM PUBLIC;

GRANT SELECT ON ledger.entry_seal TO ledger_officer, ledger_reporter, ledger_reconciler;
GRANT INSERT ON ledger.entry_seal TO ledger_officer;

RESET ROLE;  -- back to the migrating user, who records the migration
