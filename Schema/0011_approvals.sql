-- Four eyes (issue 20): a write the approval policy covers is proposed by one officer and
-- certified by another, and the database enforces it (31 U.S.C. §3528; GAO's Standards for
-- Internal Control: segregation of duties).
--
-- Guarantees:
--   * A committed entry that the policy in effect on its date covers has an approval: a row of
--     ledger.entry_approval, written only by ledger.finish_approval, in the entry's own transaction
--     (checked at commit by journal_entry_certified, created with the first policy row; SQLSTATE
--     42501 naming the rule). So no role can post a covered entry on
--     its own, through the posting functions or otherwise.
--   * A proposal is approved only by a member of ledger_certifier whose login (session_user) is
--     not the proposer's (42501), only while it is pending (LX007), and only while its stored
--     content still has the SHA-256 taken when it was proposed (LX007). Approval is once: a
--     proposal's approval and its rejection are final, one per proposal, and two certifiers
--     approving at the same moment are serialized by the proposal's lock.
--   * What approval posts is what was proposed: the entries of the proposal's event keys, created
--     in the approving transaction, each tied to the proposal, who proposed it and who approved it.
--   * A month reopened or a limit set that the policy covers (`period-reopen`, `limits-set`) has an
--     approval too (ledger.record_approval), checked at commit in the same way.
--   * Policies, proposals, decisions and approvals are append-only, for every role.
--
-- What the policy covers: an entry's kind is its event's type (`disburse`, `write-off`, …), else
-- `reverse` for a reversal, else `post` for a manual entry; its amount is its event's amount in USD
-- at the latest FX rate on or before its date, else (no event amount: a manual entry, a write-off
-- of everything) the largest sum of its debit lines in one account set, in USD. The policy in
-- effect for a kind on a date is its latest row from that date on: covered when that row is active
-- and has no threshold, or a threshold at or below the amount (an amount that cannot be converted,
-- for want of a rate, is covered).
--
-- Custom SQLSTATE: LX007 a proposal that is unknown, decided already, or altered since it was made.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_certifier') THEN
        BEGIN
            CREATE ROLE ledger_certifier NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by a migration of another database in the cluster
        END;
    END IF;
END $$;
-- A certifier is an officer who may also certify the proposals of others. (Databases of one
-- cluster migrated at once grant the same cluster-wide membership: the loser of that race retries
-- until the winner's grant is visible.)
DO $$
BEGIN
    FOR attempt IN 1..100 LOOP
        EXIT WHEN pg_has_role('ledger_certifier', 'ledger_officer', 'MEMBER');
        BEGIN
            GRANT ledger_officer TO ledger_certifier;
            EXIT;
        EXCEPTION WHEN OTHERS THEN
            IF attempt = 100 THEN RAISE; END IF;
            PERFORM pg_sleep(0.05);
        END;
    END LOOP;
END $$;

SET LOCAL ROLE ledger_owner;

-- Dated configuration, like the limits: a kind's policy on a date is its latest row from then on.
CREATE TABLE ledger.approval_policy (
    policy_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CONSTRAINT approval_policy_kind_format CHECK (kind ~ '^[a-z][a-z-]{0,39}$'),
    effective_from date NOT NULL,
    -- USD minor units; NULL: every write of the kind.
    threshold_usd_minor bigint CONSTRAINT approval_policy_threshold_positive CHECK (threshold_usd_minor >= 0),
    -- false: the kind is no longer covered from effective_from on (`--off`).
    active boolean NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL DEFAULT session_user
);
CREATE INDEX approval_policy_kind ON ledger.approval_policy (kind, effective_from, policy_id);

CREATE SEQUENCE ledger.proposal_number;

-- A write awaiting certification, exactly as it will be posted: `content` is the request (the
-- events, the entry, the reversal), hashed when it was proposed.
CREATE TABLE ledger.proposal (
    proposal_id text PRIMARY KEY CONSTRAINT proposal_id_format CHECK (proposal_id ~ '^P-[0-9]{6,}$'),
    kind text NOT NULL CONSTRAINT proposal_kind_known CHECK (kind IN ('events', 'post', 'reverse', 'month-end', 'period-reopen', 'limits-set')),
    content jsonb NOT NULL,
    content_sha256 text NOT NULL CONSTRAINT proposal_sha256_hex CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    summary text NOT NULL,
    -- The largest covered amount, in USD minor units (NULL when it could not be converted).
    amount_usd_minor bigint,
    proposed_by text NOT NULL DEFAULT session_user,
    proposed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- What certifiers decided: `approved` and `rejected` are final, one per proposal; `refused` notes
-- an approval a business rule refused (the proposal stays pending).
CREATE TABLE ledger.proposal_decision (
    decision_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id text NOT NULL REFERENCES ledger.proposal,
    decision text NOT NULL CONSTRAINT proposal_decision_known CHECK (decision IN ('approved', 'rejected', 'refused')),
    reason text CONSTRAINT proposal_decision_reason CHECK (decision = 'approved' OR length(btrim(reason)) > 0),
    decided_by text NOT NULL DEFAULT session_user,
    decided_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX proposal_decided_once ON ledger.proposal_decision (proposal_id) WHERE decision IN ('approved', 'rejected');

-- Who proposed and who approved an entry, and when: part of the entry's seal (audit chain v2).
CREATE TABLE ledger.entry_approval (
    entry_id bigint PRIMARY KEY,
    proposal_id text NOT NULL REFERENCES ledger.proposal,
    proposed_by text NOT NULL,
    proposed_at timestamptz NOT NULL,
    approved_by text NOT NULL,
    approved_at timestamptz NOT NULL
);
CREATE INDEX entry_approval_proposal ON ledger.entry_approval (proposal_id);

-- The same for the writes that are not entries: a month reopened (`period_event:<id>`), a limit
-- set (`limit_config:<limit id>:<effective from>`).
CREATE TABLE ledger.record_approval (
    subject text PRIMARY KEY,
    proposal_id text NOT NULL REFERENCES ledger.proposal,
    proposed_by text NOT NULL,
    proposed_at timestamptz NOT NULL,
    approved_by text NOT NULL,
    approved_at timestamptz NOT NULL
);

CREATE TRIGGER approval_policy_append_only BEFORE UPDATE OR DELETE ON ledger.approval_policy FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER approval_policy_no_truncate BEFORE TRUNCATE ON ledger.approval_policy FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER proposal_append_only BEFORE UPDATE OR DELETE ON ledger.proposal FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER proposal_no_truncate BEFORE TRUNCATE ON ledger.proposal FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER proposal_decision_append_only BEFORE UPDATE OR DELETE ON ledger.proposal_decision FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER proposal_decision_no_truncate BEFORE TRUNCATE ON ledger.proposal_decision FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER entry_approval_append_only BEFORE UPDATE OR DELETE ON ledger.entry_approval FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER entry_approval_no_truncate BEFORE TRUNCATE ON ledger.entry_approval FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER record_approval_append_only BEFORE UPDATE OR DELETE ON ledger.record_approval FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER record_approval_no_truncate BEFORE TRUNCATE ON ledger.record_approval FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- ISO 4217 minor units, as Ledger's Currency table has them (2 unless listed).
CREATE FUNCTION ledger.currency_minor_units(code text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN code IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 0
        WHEN code IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') THEN 3
        WHEN code IN ('CLF', 'UYW') THEN 4
        ELSE 2 END
$$;

-- An amount in USD minor units at the latest rate on or before `d`, rounded half away from zero;
-- NULL when there is no rate.
CREATE FUNCTION ledger.usd_minor(amount bigint, currency text, d date) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, ledger AS $$
    SELECT CASE WHEN currency = 'USD' THEN amount
                ELSE (SELECT round(amount * r.usd_per_unit * power(10::numeric, 2 - ledger.currency_minor_units(currency)))::bigint
                        FROM ledger.fx_rate r WHERE r.currency = usd_minor.currency AND r.rate_date <= d
                       ORDER BY r.rate_date DESC LIMIT 1) END
$$;

-- Whether the policy in effect for `p_kind` on `p_date` covers a write of `p_usd_minor` (NULL: no
-- amount, or not convertible).
CREATE FUNCTION ledger.policy_covers(p_kind text, p_date date, p_usd_minor bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, ledger AS $$
    SELECT coalesce((SELECT ap.active AND (ap.threshold_usd_minor IS NULL OR p_usd_minor IS NULL OR p_usd_minor >= ap.threshold_usd_minor)
                       FROM ledger.approval_policy ap WHERE ap.kind = p_kind AND ap.effective_from <= p_date
                      ORDER BY ap.effective_from DESC, ap.policy_id DESC LIMIT 1), false)
$$;

-- An entry's kind and amount as the policy sees them (see the header), and whether the policy in
-- effect on its date covers it.
CREATE FUNCTION ledger.entry_certification(p_entry_id bigint)
RETURNS TABLE (kind text, effective_date date, amount_usd_minor bigint, covered boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    e record;
    v record;
BEGIN
    SELECT j.entry_id, j.effective_date, j.reverses INTO e FROM ledger.journal_entry j WHERE j.entry_id = p_entry_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT ev.event_type, ev.amount_minor, ev.currency INTO v FROM ledger.event ev WHERE ev.entry_id = p_entry_id;
    kind := CASE WHEN v.event_type IS NOT NULL THEN v.event_type WHEN e.reverses IS NOT NULL THEN 'reverse' ELSE 'post' END;
    effective_date := e.effective_date;
    IF v.amount_minor IS NOT NULL THEN
        amount_usd_minor := ledger.usd_minor(abs(v.amount_minor), v.currency, e.effective_date);
    ELSE
        SELECT max(s.total) INTO amount_usd_minor
          FROM (SELECT a.account_set, sum(ledger.usd_minor(l.amount_minor, l.currency, e.effective_date)) AS total
                  FROM ledger.journal_line l JOIN ledger.account a ON a.number = l.account
                 WHERE l.entry_id = p_entry_id AND l.side = 'debit'
                 GROUP BY a.account_set) s;
    END IF;
    covered := ledger.policy_covers(kind, e.effective_date, amount_usd_minor);
    RETURN NEXT;
END $$;

-- At commit, an entry that the approval policy covers must have its approval. The check is a
-- deferred trigger of its own, created when the first policy row is set: a ledger without a policy
-- pays nothing for it on its posting path.
CREATE FUNCTION ledger.entry_certified() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    c record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.entry_approval a WHERE a.entry_id = NEW.entry_id) THEN
        SELECT * INTO c FROM ledger.entry_certification(NEW.entry_id);
        IF c.covered THEN
            RAISE EXCEPTION 'entry % (%) needs certification: the approval policy covers % on %, and no second officer approved it',
                NEW.entry_id, NEW.event_key, c.kind, c.effective_date
                USING ERRCODE = '42501', HINT = 'propose it (the dfc-ledger command does) and have a certifier approve it';
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION ledger.start_certifying() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'ledger.journal_entry'::regclass AND tgname = 'journal_entry_certified') THEN
        CREATE CONSTRAINT TRIGGER journal_entry_certified AFTER INSERT ON ledger.journal_entry
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.entry_certified();
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER approval_policy_starts_certifying AFTER INSERT ON ledger.approval_policy
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.start_certifying();

-- At commit, a month reopened or a limit set that the policy covers (`period-reopen` on the month's
-- first day, `limits-set` on the limit's effective date) must have its approval.
CREATE FUNCTION ledger.record_certified() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    kind text;
    v_subject text;
    d date;
BEGIN
    -- NEW's fields are named per table: each branch reads only its own table's.
    IF TG_TABLE_NAME = 'period_event' THEN
        kind := 'period-reopen';
        v_subject := 'period_event:' || (to_jsonb(NEW) ->> 'period_event_id');
        d := (to_jsonb(NEW) ->> 'month')::date;
    ELSE
        kind := 'limits-set';
        v_subject := 'limit_config:' || (to_jsonb(NEW) ->> 'limit_id') || ':' || (to_jsonb(NEW) ->> 'effective_from');
        d := (to_jsonb(NEW) ->> 'effective_from')::date;
    END IF;
    IF ledger.policy_covers(kind, d, NULL) AND NOT EXISTS (SELECT 1 FROM ledger.record_approval a WHERE a.subject = v_subject) THEN
        RAISE EXCEPTION '% needs certification: the approval policy covers % on %, and no second officer approved it', v_subject, kind, d
            USING ERRCODE = '42501', HINT = 'propose it (the dfc-ledger command does) and have a certifier approve it';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER period_event_certified AFTER INSERT ON ledger.period_event
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.action = 'reopen') EXECUTE FUNCTION ledger.record_certified();
CREATE CONSTRAINT TRIGGER limit_config_certified AFTER INSERT ON ledger.limit_config
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.record_certified();

-- Why `session_user` may not decide on proposal `p_id` now (NULL: it may): an unknown, decided or
-- altered proposal (LX007); a login without ledger_certifier, or the proposer approving (42501).
CREATE FUNCTION ledger.approval_refusal(p_id text, approving boolean) RETURNS TABLE (state text, message text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    p ledger.proposal;
    decided text;
BEGIN
    SELECT * INTO p FROM ledger.proposal WHERE proposal_id = p_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'LX007', format('no proposal %s', p_id);
        RETURN;
    END IF;
    IF NOT pg_has_role(session_user, 'ledger_certifier', 'MEMBER') THEN
        RETURN QUERY SELECT '42501', format('deciding on %s needs the ledger_certifier role, which %s lacks', p_id, session_user);
        RETURN;
    END IF;
    IF approving AND p.proposed_by = session_user THEN
        RETURN QUERY SELECT '42501',
            format('four eyes: %s was proposed by %s, who may not certify it; another certifier must approve it', p_id, p.proposed_by);
        RETURN;
    END IF;
    SELECT d.decision INTO decided FROM ledger.proposal_decision d WHERE d.proposal_id = p_id AND d.decision IN ('approved', 'rejected');
    IF decided IS NOT NULL THEN
        RETURN QUERY SELECT 'LX007', format('%s is %s already', p_id, decided);
        RETURN;
    END IF;
    IF encode(sha256(convert_to(p.content::text, 'UTF8')), 'hex') <> p.content_sha256 THEN
        RETURN QUERY SELECT 'LX007', format('%s was altered after it was proposed: its content no longer has the SHA-256 %s taken then', p_id, p.content_sha256);
        RETURN;
    END IF;
END $$;

CREATE FUNCTION ledger.refuse_decision(p_id text, approving boolean) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, ledger AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM ledger.approval_refusal(p_id, approving);
    IF FOUND THEN
        RAISE EXCEPTION '%', r.message USING ERRCODE = r.state;
    END IF;
END $$;

-- Records a proposal (or finds the pending one with the same content) and returns its id.
CREATE FUNCTION ledger.propose(p_kind text, p_content jsonb, p_summary text, p_amount_usd_minor bigint)
RETURNS TABLE (proposal_id text, created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    sha text := encode(sha256(convert_to(p_content::text, 'UTF8')), 'hex');
    found_id text;
BEGIN
    SELECT p.proposal_id INTO found_id FROM ledger.proposal p
     WHERE p.kind = p_kind AND p.content_sha256 = sha
       AND NOT EXISTS (SELECT 1 FROM ledger.proposal_decision d WHERE d.proposal_id = p.proposal_id AND d.decision IN ('approved', 'rejected'))
     ORDER BY p.proposed_at LIMIT 1;
    IF found_id IS NOT NULL THEN
        RETURN QUERY SELECT found_id, false;
        RETURN;
    END IF;
    found_id := 'P-' || lpad(nextval('ledger.proposal_number')::text, 6, '0');
    INSERT INTO ledger.proposal (proposal_id, kind, content, content_sha256, summary, amount_usd_minor)
    VALUES (found_id, p_kind, p_content, sha, p_summary, p_amount_usd_minor);
    RETURN QUERY SELECT found_id, true;
END $$;

-- Starts approving: locks the proposal (a second certifier waits here, then finds it approved),
-- checks who may approve it and that it is unaltered, and returns what to post: its kind and content.
CREATE FUNCTION ledger.begin_approval(p_id text) RETURNS TABLE (kind text, content jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7306005, hashtext(p_id));
    PERFORM ledger.refuse_decision(p_id, true);
    RETURN QUERY SELECT p.kind, p.content FROM ledger.proposal p WHERE p.proposal_id = p_id;
END $$;

-- Finishes approving, in the transaction that posted the proposal's entries: each of its event keys
-- must have an entry, and those created in this transaction get their approval row; then the
-- decision. Returns how many entries it approved.
CREATE FUNCTION ledger.finish_approval(p_id text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
DECLARE
    p ledger.proposal;
    missing text;
    n integer;
BEGIN
    PERFORM pg_advisory_xact_lock(7306005, hashtext(p_id));
    PERFORM ledger.refuse_decision(p_id, true);
    SELECT * INTO p FROM ledger.proposal WHERE proposal_id = p_id;
    SELECT k INTO missing FROM jsonb_array_elements_text(p.content -> 'keys') k
     WHERE NOT EXISTS (SELECT 1 FROM ledger.journal_entry e WHERE e.event_key = k) LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% was not posted as proposed: no entry for %', p_id, missing USING ERRCODE = 'LX007';
    END IF;
    INSERT INTO ledger.entry_approval (entry_id, proposal_id, proposed_by, proposed_at, approved_by, approved_at)
    SELECT e.entry_id, p_id, p.proposed_by, p.proposed_at, session_user, clock_timestamp()
      FROM jsonb_array_elements_text(p.content -> 'keys') k JOIN ledger.journal_entry e ON e.event_key = k
     WHERE e.recorded_xid = pg_current_xact_id();
    GET DIAGNOSTICS n = ROW_COUNT;
    -- A month reopened or a limit set in this transaction, as proposed.
    IF p.kind = 'period-reopen' THEN
        INSERT INTO ledger.record_approval (subject, proposal_id, proposed_by, proposed_at, approved_by, approved_at)
        SELECT 'period_event:' || pe.period_event_id, p_id, p.proposed_by, p.proposed_at, session_user, clock_timestamp()
          FROM ledger.period_event pe
         WHERE pe.month = (p.content ->> 'month')::date AND pe.action = 'reopen' AND pe.xmin = pg_current_xact_id()::xid;
        GET DIAGNOSTICS n = ROW_COUNT;
    ELSIF p.kind = 'limits-set' THEN
        INSERT INTO ledger.record_approval (subject, proposal_id, proposed_by, proposed_at, approved_by, approved_at)
        SELECT 'limit_config:' || l.limit_id || ':' || l.effective_from, p_id, p.proposed_by, p.proposed_at, session_user, clock_timestamp()
          FROM ledger.limit_config l
         WHERE l.limit_id = p.content ->> 'limit_id' AND l.effective_from = (p.content ->> 'effective_from')::date AND l.xmin = pg_current_xact_id()::xid;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF p.kind IN ('period-reopen', 'limits-set') AND n = 0 THEN
        RAISE EXCEPTION '% was not applied as proposed', p_id USING ERRCODE = 'LX007';
    END IF;
    INSERT INTO ledger.proposal_decision (proposal_id, decision) VALUES (p_id, 'approved');
    RETURN n;
END $$;

-- Rejects a pending proposal, with a reason (any certifier, the proposer too: a withdrawal).
CREATE FUNCTION ledger.reject_proposal(p_id text, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7306005, hashtext(p_id));
    PERFORM ledger.refuse_decision(p_id, false);
    INSERT INTO ledger.proposal_decision (proposal_id, decision, reason) VALUES (p_id, 'rejected', p_reason);
END $$;

-- Notes why an approval was refused by a business rule; the proposal stays pending.
CREATE FUNCTION ledger.note_refused_approval(p_id text, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ledger AS $$
BEGIN
    PERFORM ledger.refuse_decision(p_id, true);
    INSERT INTO ledger.proposal_decision (proposal_id, decision, reason) VALUES (p_id, 'refused', p_reason);
END $$;

GRANT SELECT ON ledger.approval_policy, ledger.proposal, ledger.proposal_decision, ledger.entry_approval, ledger.record_approval
    TO ledger_officer, ledger_reporter, ledger_reconciler;
REVOKE ALL ON FUNCTION ledger.policy_covers(text, date, bigint), ledger.entry_certification(bigint), ledger.approval_refusal(text, boolean), ledger.refuse_decision(text, boolean),
    ledger.propose(text, jsonb, text, bigint), ledger.begin_approval(text), ledger.finish_approval(text),
    ledger.reject_proposal(text, text), ledger.note_refused_approval(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.policy_covers(text, date, bigint), ledger.entry_certification(bigint), ledger.approval_refusal(text, boolean),
    ledger.refuse_decision(text, boolean), ledger.propose(text, jsonb, text, bigint), ledger.begin_approval(text), ledger.finish_approval(text),
    ledger.reject_proposal(text, text), ledger.note_refused_approval(text, text)
    TO ledger_officer;
GRANT EXECUTE ON FUNCTION ledger.policy_covers(text, date, bigint), ledger.entry_certification(bigint), ledger.approval_refusal(text, boolean)
    TO ledger_reporter, ledger_reconciler;

RESET ROLE;  -- back to the migrating user, who records the migration
