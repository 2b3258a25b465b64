-- The audit chain (DESIGN.md §2, invariant 7; the encoding is documented in Ledger's AuditChain).
--
-- Entries are sealed in recording order, (recorded_xid, entry_id), by a sealer that only takes
-- entries below `chain_bound()`: so an entry still being written can never be passed over, and
-- posting never waits on the chain's head. The unsealed entries are always the ones after the
-- last seal's position, found through this index.
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

-- Each seal must extend the chain: the next number, and the previous seal's hash as its
-- `previous`. (What the hash covers is recomputed by `dfc-ledger verify`.)
CREATE FUNCTION ledger.seal_extends_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head ledger.entry_seal;
BEGIN
    SELECT * INTO head FROM ledger.entry_seal ORDER BY chain_seq DESC LIMIT 1;
    IF NEW.chain_seq <> coalesce(head.chain_seq, 0) + 1
       OR NEW.previous_sha256 <> coalesce(head.sha256, repeat('0', 64)) THEN
        RAISE EXCEPTION 'seal % of entry % does not extend the audit chain (head is %)', NEW.chain_seq, NEW.entry_id, coalesce(head.chain_seq, 0)
            USING ERRCODE = 'LX005';
    END IF;
    NEW.sealed_at := clock_timestamp();
    RETURN NEW;
END $$;

CREATE TRIGGER entry_seal_extends_chain BEFORE INSERT ON ledger.entry_seal
    FOR EACH ROW EXECUTE FUNCTION ledger.seal_extends_chain();
