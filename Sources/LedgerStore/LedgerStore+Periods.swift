import Dates
import Ledger
import Postgres

/// The latest close or reopen of a month.
public struct PeriodStatus: Sendable, Hashable {
    public var month: YearMonth
    public var isClosed: Bool
    public var recordedAt: Instant
    public var recordedBy: String
    public var reason: String?
}

extension LedgerStore {
    /// Closes a month: no entry dated inside it is accepted until it is reopened. Waits for
    /// postings into the month that are under way.
    public func closePeriod(_ month: YearMonth, reason: String? = nil) throws {
        try recordPeriodEvent(month, action: "close", reason: reason) { closed in
            closed ? "is already closed" : nil
        }
    }

    /// Reopens a closed month; the reason is recorded with who and when. When the approval policy
    /// covers reopening the month (`period-reopen`), it is proposed instead, once the month is
    /// found closed: the proposal's id is returned, and a certifier's approval reopens it.
    @discardableResult
    public func reopenPeriod(_ month: YearMonth, reason: String) throws -> String? {
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw LedgerError.periodState(month: month.description, reason: "reopening needs a reason")
        }
        let proposal = try connection.transaction { tx in try Self.reopen(month, reason: reason, tx, proposing: true) }
        cachedChart = nil
        return proposal
    }

    /// Reopens `month` in `tx`, or (`proposing`, when the policy covers it) proposes it.
    static func reopen(_ month: YearMonth, reason: String, _ tx: Connection, proposing: Bool) throws -> String? {
        try recordPeriodEvent(month, action: "reopen", reason: reason, tx) { closed in closed ? nil : "is not closed" }
        guard proposing, try tx.scalar(Bool.self, "SELECT ledger.policy_covers('period-reopen', \(month.firstDay), NULL)") == true else {
            try tx.execute("INSERT INTO ledger.period_event (month, action, reason) VALUES (\(month.firstDay), 'reopen', \(reason))")
            return nil
        }
        return try propose(tx, kind: "period-reopen", content: ReopenContent(month: month.firstDay.description, reason: reason), summary: "reopen \(month): \(reason)")
    }

    private func recordPeriodEvent(_ month: YearMonth, action: String, reason: String?, refusal: (Bool) -> String?) throws {
        try connection.transaction { tx in
            try Self.recordPeriodEvent(month, action: action, reason: reason, tx, refusal: refusal)
            try tx.execute("INSERT INTO ledger.period_event (month, action, reason) VALUES (\(month.firstDay), \(action), \(reason))")
        }
        cachedChart = nil
    }

    /// Takes the month's exclusive lock first, so the state read then cannot go stale, and
    /// refuses what `refusal` says of the month's state (closed or not).
    static func recordPeriodEvent(_ month: YearMonth, action: String, reason: String?, _ tx: Connection, refusal: (Bool) -> String?) throws {
        try tx.execute("SELECT ledger.lock_month(\(month.firstDay), true)")
        let closed = try tx.scalar(
            String.self, "SELECT action FROM ledger.period_event WHERE month = \(month.firstDay) ORDER BY period_event_id DESC LIMIT 1") == "close"
        if let problem = refusal(closed) { throw LedgerError.periodState(month: month.description, reason: problem) }
    }

    /// Every month that was ever closed, with its latest event.
    public func periods() throws -> [PeriodStatus] {
        try connection.query(
            """
            SELECT DISTINCT ON (month) month, action, recorded_at, recorded_by, reason
              FROM ledger.period_event ORDER BY month, period_event_id DESC
            """
        ).map { row in
            PeriodStatus(
                month: YearMonth(try row.decode(CivilDate.self, at: 0)), isClosed: try row.decode(String.self, at: 1) == "close",
                recordedAt: try row.decode(at: 2), recordedBy: try row.decode(at: 3), reason: try row.decode(at: 4))
        }
    }
}

/// What a `period-reopen` proposal holds.
struct ReopenContent: Codable {
    var keys: [String] = []
    var month: String
    var reason: String
}
