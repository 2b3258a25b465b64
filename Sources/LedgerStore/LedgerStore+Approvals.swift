import Dates
import Foundation
import Ledger
import Postgres

/// One row of the approval policy (dated configuration, like the limits): from `effectiveFrom`
/// on, writes of `kind` — an event type, `post` (a manual entry) or `reverse` — at or above
/// `thresholdUSD` (every one when nil) need a second officer's certification — or `period-reopen`
/// and `limits-set`, which have no amount; `active == false`
/// ends the kind's coverage from that date.
public struct ApprovalPolicy: Sendable, Equatable {
    public var kind: String
    public var effectiveFrom: CivilDate
    /// USD minor units.
    public var thresholdUSD: Int64?
    public var active: Bool
    public var recordedAt: Instant?
    public var recordedBy: String

    /// The kinds a policy may cover: every event type, `post` and `reverse`.
    public static let kinds: [String] = EventType.allCases.map(\.rawValue) + ["post", "reverse", "period-reopen", "limits-set"]
}

/// A write awaiting certification, or decided.
public struct Proposal: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, approved, rejected }
    public struct Decision: Sendable, Equatable {
        /// `approved`, `rejected`, or `refused` (an approval a business rule refused).
        public var decision: String
        public var reason: String?
        public var decidedBy: String
        public var decidedAt: Instant
    }

    public var id: String
    /// `events`, `post` or `reverse`.
    public var kind: String
    public var summary: String
    /// The largest covered amount in USD minor units (nil: not convertible).
    public var amountUSD: Int64?
    public var proposedBy: String
    public var proposedAt: Instant
    public var status: Status
    public var decisions: [Decision]
    /// What will be posted, as stored (JSON).
    public var content: String
    /// The entries posted when it was approved.
    public var entryIDs: [Int64]
}

/// What a proposal holds: the request exactly as it will be posted, and the event keys approval
/// must post.
struct ProposalContent: Codable {
    struct EventItem: Codable {
        var eventId: String
        var date: String
        var facilityId: String?
        var fund: String?
        var type: String
        var amountMinor: String?
        var currency: String?
        var reference: String
        var memo: String
    }
    struct LineItem: Codable {
        var account, fund, side, amountMinor, currency: String
        var facility: String?
    }
    struct EntryItem: Codable {
        var eventKey, date, description: String
        var reverses: Int64?
        var lines: [LineItem]
    }

    var keys: [String]
    var file: String?
    var events: [EventItem]?
    var entry: EntryItem?

    init(events: some Sequence<(location: String, event: Event)>, file: String) {
        self.file = file
        self.events = events.map { item in
            let e = item.event
            return EventItem(
                eventId: e.id, date: e.date.description, facilityId: e.facilityID, fund: e.fund, type: e.type.rawValue,
                amountMinor: e.amount.map(String.init), currency: e.currency?.code, reference: e.reference, memo: e.memo)
        }
        keys = self.events!.map(\.eventId)
    }

    init(entry: NewEntry) {
        self.entry = EntryItem(
            eventKey: entry.eventKey, date: entry.effectiveDate.description, description: entry.description, reverses: entry.reverses,
            lines: entry.lines.map {
                LineItem(
                    account: $0.account, fund: $0.fund, side: $0.side.rawValue, amountMinor: String($0.amount.minorUnits),
                    currency: $0.amount.currency.code, facility: $0.facility)
            })
        keys = [entry.eventKey]
    }

    /// A proposal's content as stored: snake_case keys, sorted.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The reading error of a stored value this program cannot read back.
    static func unreadable(_ proposal: String, _ field: String, _ value: String) -> InputError {
        InputError(file: proposal, field: field, value: value, reason: "the stored proposal holds a value the ledger cannot read")
    }

    /// A stored proposal's content, read back as `type`.
    static func decode<T: Decodable>(_ type: T.Type, _ text: String, proposal: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(type, from: Data(text.utf8)) } catch {
            throw InputError(file: proposal, field: "content", value: "", reason: "the stored proposal cannot be read: \(error)")
        }
    }

    /// The events, as they were proposed.
    func parsedEvents(proposal: String) throws -> [(location: String, event: Event)] {
        try (events ?? []).enumerated().map { i, item in
            func bad(_ field: String, _ value: String) -> InputError { Self.unreadable(proposal, field, value) }
            guard let date = CivilDate(iso: item.date) else { throw bad("date", item.date) }
            guard let type = EventType(rawValue: item.type) else { throw bad("type", item.type) }
            let amount = try item.amountMinor.map { text in
                guard let v = Int64(text) else { throw bad("amount", text) }
                return v
            }
            let currency = try item.currency.map { code in
                guard let c = Currency(code: code) else { throw bad("currency", code) }
                return c
            }
            return (
                "event \(i + 1) of \(proposal)",
                Event(
                    id: item.eventId, date: date, facilityID: item.facilityId, fund: item.fund, type: type, amount: amount, currency: currency,
                    reference: item.reference, memo: item.memo)
            )
        }
    }

    /// The manual entry, as it was proposed.
    func parsedEntry(proposal: String) throws -> NewEntry? {
        guard let e = entry else { return nil }
        func bad(_ field: String, _ value: String) -> InputError { Self.unreadable(proposal, field, value) }
        guard let date = CivilDate(iso: e.date) else { throw bad("date", e.date) }
        let lines = try e.lines.map { l in
            guard let currency = Currency(code: l.currency) else { throw bad("currency", l.currency) }
            guard let minor = Int64(l.amountMinor) else { throw bad("amount", l.amountMinor) }
            guard let side = Side(rawValue: l.side) else { throw bad("side", l.side) }
            return JournalLine(account: l.account, fund: l.fund, facility: l.facility, side: side, amount: Money(minorUnits: minor, currency: currency))
        }
        return NewEntry(eventKey: e.eventKey, effectiveDate: date, description: e.description, lines: lines, reverses: e.reverses)
    }
}

extension LedgerStore {
    /// Whether any approval policy exists (with none, nothing is ever proposed).
    static func approvalsInForce(_ db: Connection) throws -> Bool {
        try db.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM ledger.approval_policy)") ?? false
    }

    /// Runs `write` in `tx`; when the approval policy covers any entry it posted, undoes it and
    /// records the proposal `request` describes instead (every business rule, the database's
    /// included, has run on it). What `write` found posted already stays `existing`.
    static func postingOrProposing(
        _ tx: Connection, _ write: () throws -> [PostResult], proposal request: () throws -> (kind: String, json: String, summary: String)
    ) throws -> [PostResult] {
        guard try approvalsInForce(tx) else { return try write() }
        try tx.execute("SAVEPOINT four_eyes")
        let results = try write()
        let covered = try tx.query(
            """
            SELECT c.amount_usd_minor FROM ledger.journal_entry e CROSS JOIN LATERAL ledger.entry_certification(e.entry_id) c
             WHERE e.recorded_xid = pg_current_xact_id() AND c.covered
            """)
        guard !covered.isEmpty else {
            try tx.execute("RELEASE SAVEPOINT four_eyes")
            return results
        }
        let amounts: [Int64?] = try covered.map { try $0.decode(at: 0) }
        try tx.execute("ROLLBACK TO SAVEPOINT four_eyes")
        let r = try request()
        let amount = amounts.contains { $0 == nil } ? nil : amounts.compactMap { $0 }.max()
        let id = try propose(tx, kind: r.kind, json: r.json, summary: r.summary, amountUSD: amount)
        return results.map { $0.status == .existing ? $0 : PostResult(entryID: 0, eventKey: $0.eventKey, status: .proposed, proposalID: id) }
    }

    /// Records a proposal (or finds the pending one with the same content): its id.
    static func propose(_ tx: Connection, kind: String, json: String, summary: String, amountUSD: Int64? = nil) throws -> String {
        guard
            let id = try tx.query("SELECT proposal_id FROM ledger.propose(\(kind), \(json)::jsonb, \(summary), \(amountUSD)::bigint)").first?
                .decode(String.self, at: 0)
        else { throw LedgerError.refusedByDatabase("the proposal was not recorded") }
        return id
    }

    static func propose(_ tx: Connection, kind: String, content: some Encodable, summary: String) throws -> String {
        try propose(tx, kind: kind, json: try ProposalContent.json(content), summary: summary)
    }

    /// The approval policy, every row, by kind and date.
    public func approvalPolicies() throws -> [ApprovalPolicy] {
        try connection.query(
            "SELECT kind, effective_from, threshold_usd_minor, active, recorded_at, recorded_by FROM ledger.approval_policy ORDER BY kind, effective_from, policy_id"
        ).map {
            ApprovalPolicy(
                kind: try $0.decode(at: 0), effectiveFrom: try $0.decode(at: 1), thresholdUSD: try $0.decode(at: 2), active: try $0.decode(at: 3),
                recordedAt: try $0.decode(at: 4), recordedBy: try $0.decode(at: 5))
        }
    }

    /// Adds a policy row (the ledger's owner's right, like the limits).
    public func setApprovalPolicy(kind: String, from: CivilDate, thresholdUSD: Int64?, active: Bool) throws {
        guard ApprovalPolicy.kinds.contains(kind) else {
            throw InputError(file: "approvals policy set", field: "--kind", value: kind, reason: "not one of \(ApprovalPolicy.kinds.joined(separator: ", "))")
        }
        try connection.execute(
            "INSERT INTO ledger.approval_policy (kind, effective_from, threshold_usd_minor, active) VALUES (\(kind), \(from), \(thresholdUSD)::bigint, \(active))")
    }

    /// Proposals, newest first; `pendingOnly` leaves out the decided ones.
    public func proposals(pendingOnly: Bool = false) throws -> [Proposal] {
        try readProposals(where: "true").filter { !pendingOnly || $0.status == .pending }
    }

    /// One proposal, or nil.
    public func proposal(id: String) throws -> Proposal? {
        try readProposals(where: "p.proposal_id = \(id)").first
    }

    private func readProposals(where condition: SQL) throws -> [Proposal] {
        let rows = try connection.query(
            """
            SELECT p.proposal_id, p.kind, p.summary, p.amount_usd_minor, p.proposed_by, p.proposed_at, p.content::text,
                   coalesce((SELECT json_agg(json_build_array(d.decision, d.reason, d.decided_by, d.decided_at) ORDER BY d.decision_id)::text
                               FROM ledger.proposal_decision d WHERE d.proposal_id = p.proposal_id), '[]'),
                   coalesce((SELECT array_agg(a.entry_id ORDER BY a.entry_id)::text FROM ledger.entry_approval a WHERE a.proposal_id = p.proposal_id), '{}')
              FROM ledger.proposal p
             WHERE \(condition)
             ORDER BY p.proposed_at DESC, p.proposal_id DESC
            """)
        return try rows.map { row in
            let decisions = try (JSONSerialization.jsonObject(with: Data(try row.decode(String.self, at: 7).utf8)) as? [[Any]] ?? []).map { d in
                Proposal.Decision(
                    decision: d[0] as? String ?? "", reason: d[1] as? String, decidedBy: d[2] as? String ?? "",
                    decidedAt: Instant(rfc3339: (d[3] as? String ?? "").replacingOccurrences(of: " ", with: "T")) ?? Instant(microsecondsSinceEpoch: 0))
            }
            let final = decisions.last { $0.decision != "refused" }?.decision
            let ids = Self.ids(try row.decode(String.self, at: 8))
            return Proposal(
                id: try row.decode(at: 0), kind: try row.decode(at: 1), summary: try row.decode(at: 2), amountUSD: try row.decode(at: 3),
                proposedBy: try row.decode(at: 4), proposedAt: try row.decode(at: 5),
                status: final.flatMap(Proposal.Status.init(rawValue:)) ?? .pending, decisions: decisions, content: try row.decode(at: 6),
                entryIDs: ids)
        }
    }

    /// Certifies a proposal and posts exactly what it holds, in one transaction, re-checking every
    /// business rule (limits may have moved since): the events through the posting rules, or the
    /// manual entry or reversal. The database refuses a certifier approving their own proposal or
    /// a login without ledger_certifier (42501), and an unknown, decided or altered proposal
    /// (`InputError`). A business rule that refuses now leaves the proposal pending, with the
    /// refusal noted on it (`LocatedError` naming the proposal).
    public func approve(_ id: String) throws -> [PostResult] {
        let chart = try self.chart()
        do {
            let approved = try connection.transaction { tx in
                guard let row = try tx.query("SELECT kind, content::text FROM ledger.begin_approval(\(id))").first else {
                    throw InputError(file: "approve", field: "proposal", value: id, reason: "no such proposal")
                }
                let results: [PostResult]
                do {
                    results = try Self.apply(id, kind: try row.decode(at: 0), content: try row.decode(at: 1), chart: chart, tx)
                } catch let error as PostgresError where error.isAboutTheData && error.code?.rawValue != "LX007" {
                    throw LedgerError.refusedByDatabase(error.message)
                }
                _ = try tx.scalar(Int.self, "SELECT ledger.finish_approval(\(id))")
                return results
            }
            cachedChart = nil  // a month may have been reopened
            return approved
        } catch let error as PostgresError where error.code?.rawValue == "LX007" {
            throw InputError(file: "approve", field: "proposal", value: id, reason: error.message)
        } catch let error where error is LedgerError || error is LocatedError {
            // Refused by a rule now: the proposal stays pending, and says why.
            _ = try? connection.execute("SELECT ledger.note_refused_approval(\(id), \(String(describing: error)))")
            throw LocatedError(file: id, location: "not approved, still pending", underlying: error)
        }
    }

    /// Writes what proposal `id` of `kind` holds, in `tx`, by the same path as the write it stands
    /// for, every rule checked again.
    static func apply(_ id: String, kind: String, content text: String, chart: Chart, _ tx: Connection) throws -> [PostResult] {
        switch kind {
        case "month-end":
            let m = try ProposalContent.decode(MonthEndContent.self, text, proposal: id)
            guard let month = YearMonth(m.month) else { throw ProposalContent.unreadable(id, "month", m.month) }
            if chart.closedMonths.contains(month) { throw LedgerError.periodClosed(month: m.month, eventKey: id) }
            let proposed = Dictionary(uniqueKeysWithValues: m.accruals.map { ($0.facilityId, $0.amountMinor) })
            return try Self.accrue(month, tx, chart: chart).filter { $0.status == .created }.map { a in
                let key = Accrual.eventKey(facility: a.facilityID, month: month)
                let now = String(a.amount?.minorUnits ?? 0)
                guard proposed[a.facilityID] == now else {
                    throw LedgerError.businessRule(
                        eventKey: key, rule: "month-end as proposed",
                        detail: "the interest is now \(a.amount?.formatted ?? "0") (minor units \(now)), proposed \(proposed[a.facilityID] ?? "none")")
                }
                return PostResult(entryID: a.entryID ?? 0, eventKey: key, status: .created)
            }
        case "period-reopen":
            let r = try ProposalContent.decode(ReopenContent.self, text, proposal: id)
            guard let month = CivilDate(iso: r.month).map(YearMonth.init) else { throw ProposalContent.unreadable(id, "month", r.month) }
            _ = try Self.reopen(month, reason: r.reason, tx, proposing: false)
            return []
        case "limits-set":
            _ = try Self.setLimit(try ProposalContent.decode(LimitContent.self, text, proposal: id).config(proposal: id), tx, proposing: false)
            return []
        default:
            let content = try ProposalContent.decode(ProposalContent.self, text, proposal: id)
            if let entry = try content.parsedEntry(proposal: id) {
                try Journal.validate(entry, accounts: chart.accounts, funds: chart.funds)
                if chart.closedMonths.contains(YearMonth(entry.effectiveDate)) {
                    throw LedgerError.periodClosed(month: YearMonth(entry.effectiveDate).description, eventKey: entry.eventKey)
                }
                return [try Self.insert(entry, tx)]
            }
            return try Self.recordEvents(tx, chart: chart, ordered: try content.parsedEvents(proposal: id), keys: nil, file: content.file ?? id)
        }
    }

    /// Rejects a pending proposal with a reason; nothing is posted.
    public func reject(_ id: String, reason: String) throws {
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw InputError(file: "reject", field: "--reason", value: reason, reason: "a rejection needs a reason")
        }
        do {
            try connection.execute("SELECT ledger.reject_proposal(\(id), \(reason))")
        } catch let error as PostgresError where error.code?.rawValue == "LX007" {
            throw InputError(file: "reject", field: "proposal", value: id, reason: error.message)
        }
    }

    /// Disbursements, equity calls and purchases in proposals pending as known at `knownAt`
    /// (proposed by then, not approved or rejected by then), dated by `asOf`; of one facility or
    /// all. By facility, date and event id.
    static func pendingDisbursements(_ db: Connection, asOf: CivilDate, knownAt: Instant?, facility: String? = nil) throws -> [PendingDisbursement] {
        try db.query(
            """
            SELECT p.proposal_id, e ->> 'facility_id', e ->> 'event_id', e ->> 'type', (e ->> 'date')::date, (e ->> 'amount_minor')::bigint
              FROM ledger.proposal p CROSS JOIN LATERAL jsonb_array_elements(p.content -> 'events') e
             WHERE p.kind = 'events' AND e ->> 'type' IN ('disburse', 'equity-call', 'purchase') AND e ->> 'amount_minor' IS NOT NULL
               AND (e ->> 'date')::date <= \(asOf) AND (\(facility)::text IS NULL OR e ->> 'facility_id' = \(facility)::text)
               AND (\(knownAt)::timestamptz IS NULL OR p.proposed_at <= \(knownAt)::timestamptz)
               AND NOT EXISTS (SELECT 1 FROM ledger.proposal_decision d
                                WHERE d.proposal_id = p.proposal_id AND d.decision IN ('approved', 'rejected')
                                  AND (\(knownAt)::timestamptz IS NULL OR d.decided_at <= \(knownAt)::timestamptz))
             ORDER BY 2, 5, 3
            """
        ).map {
            PendingDisbursement(
                proposalID: try $0.decode(at: 0), facilityID: try $0.decode(at: 1), eventID: try $0.decode(at: 2), type: try $0.decode(at: 3),
                date: try $0.decode(at: 4), amount: try $0.decode(at: 5))
        }
    }
}
