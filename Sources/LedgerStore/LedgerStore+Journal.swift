import Dates
import Foundation
import Ledger
import Postgres

/// Whether a posting wrote a new entry, found the one an earlier identical request wrote, or
/// was recorded as a proposal awaiting certification (four eyes).
public enum PostStatus: String, Sendable, Codable {
    case created
    case existing
    case proposed
}

/// The outcome of one posting.
public struct PostResult: Sendable, Hashable {
    /// The entry (0 for a proposal: nothing is posted until it is approved).
    public var entryID: Int64
    public var eventKey: String
    public var status: PostStatus
    /// Limits with severity "warn" that this posting took over their cap (DOMAIN.md §2).
    public var warnings: [String]
    /// The proposal the write awaits certification in (status `proposed`).
    public var proposalID: String?

    public init(entryID: Int64, eventKey: String, status: PostStatus, warnings: [String] = [], proposalID: String? = nil) {
        self.entryID = entryID
        self.eventKey = eventKey
        self.status = status
        self.warnings = warnings
        self.proposalID = proposalID
    }
}

extension LedgerStore {
    /// Posts a balanced entry, idempotently by its event key.
    ///
    /// Checks every rule in Swift first (`Journal.validate`, the period lock as last read), then
    /// writes header and lines in one transaction, where PostgreSQL checks them again.
    /// The same key with the same content returns the original entry (`.existing`); with different
    /// content it throws `LedgerError.idempotencyConflict` naming the first differing field.
    @discardableResult
    public func post(_ entry: NewEntry) throws -> PostResult {
        let chart = try self.chart()
        try Journal.validate(entry, accounts: chart.accounts, funds: chart.funds)
        let month = YearMonth(entry.effectiveDate)
        // An identical retry of an entry posted before its month closed still finds the original.
        func refuseClosedPeriod() throws -> PostResult {
            if let existing = try Self.existingPosting(of: entry, connection) { return existing }
            throw LedgerError.periodClosed(month: month.description, eventKey: entry.eventKey)
        }
        if chart.closedMonths.contains(month) { return try refuseClosedPeriod() }
        do {
            // With an approval policy (read once per store), in a transaction that proposes the
            // entry instead when the policy covers it.
            if try approvalsInForce() {
                return try connection.transaction { tx in
                    try Self.postingOrProposing(tx, { [try Self.insert(entry, tx)] }) {
                        let total = entry.lines.filter { $0.side == .debit }.reduce(Int64(0)) { $0 + $1.amount.minorUnits }
                        let currency = entry.lines.first?.amount.currency ?? .usd
                        return (
                            entry.reverses == nil ? "post" : "reverse", try ProposalContent.json(ProposalContent(entry: entry)),
                            "\(entry.reverses.map { "reverse entry \($0)" } ?? "post") \(entry.eventKey): debits \(Money(minorUnits: total, currency: currency).formatted) \(currency.code)"
                        )
                    }[0]
                }
            }
            // One statement in its own transaction: header, lines and every check in one round trip.
            return try connection.retrying { db in try Self.insert(entry, db) }
        } catch let error as PostgresError where error.code == .insufficientPrivilege && error.message.contains("needs certification") && cachedApprovalsInForce == false {
            // A policy set since this store first looked: look again, and propose.
            cachedApprovalsInForce = nil
            return try post(entry)
        } catch let error as PostgresError {
            switch error.code?.rawValue {
            case "LX002": return try refuseClosedPeriod()
            case "LX004": throw LedgerError.invalidReversal(entryID: entry.reverses ?? 0, reason: error.message)
            case "LX001", "LX003": throw LedgerError.refusedByDatabase(error.message)
            case SQLState.uniqueViolation.rawValue where error.constraint == "entry_reverses_once":
                let by = try reversingEntryID(of: entry.reverses ?? 0) ?? 0
                throw LedgerError.alreadyReversed(entryID: entry.reverses ?? 0, byEntryID: by)
            default: throw error
            }
        }
    }

    static func insert(_ entry: NewEntry, _ tx: Connection) throws -> PostResult {
        guard let entryID = try runPosting(insertStatement(entry, onConflictDoNothing: true), tx) else {
            guard let existing = try existingPosting(of: entry, tx) else {
                throw LedgerError.refusedByDatabase("event \(entry.eventKey) conflicts with an entry that cannot be read")
            }
            return existing
        }
        return PostResult(entryID: entryID, eventKey: entry.eventKey, status: .created)
    }

    /// The call that writes an entry, its lines (one array per column) and (optionally) its event
    /// row through the posting path (`ledger.post_entry`, migrations 0009 and 0021) in one round
    /// trip; it returns the new entry id, or no id with `onConflictDoNothing` when the event key
    /// exists.
    static func insertStatement(_ entry: NewEntry, onConflictDoNothing: Bool, event: EventRow? = nil) throws -> SQL {
        var lines = LineColumns()
        for line in entry.lines { lines.append(line) }
        var eventJSON = ""
        PostingJSON.event(event, into: &eventJSON)
        return """
            SELECT ledger.post_entry(\(entry.eventKey), \(entry.effectiveDate)::date, \(entry.description), \(entry.reverses)::bigint,
                   \(onConflictDoNothing), \(lines.arguments), \(eventJSON)::jsonb)
            """
    }

    /// Runs an `insertStatement`, prepared once per connection (posting runs it entry after entry):
    /// the new entry's id, or nil.
    static func runPosting(_ insert: SQL, _ tx: Connection) throws -> Int64? {
        try tx.queryPrepared(insert).first?.decode(Int64?.self, at: 0) ?? nil
    }

    /// The earlier posting of the same event key: `.existing` when identical, an idempotency
    /// conflict naming the first differing field otherwise, nil when there is none.
    static func existingPosting(of entry: NewEntry, _ db: Connection) throws -> PostResult? {
        guard let existing = try loadEntry(where: "e.event_key = \(entry.eventKey)", db) else { return nil }
        if let d = Journal.firstDifference(existing: existing.entry, requested: entry) {
            throw LedgerError.idempotencyConflict(eventKey: entry.eventKey, field: d.field, existing: d.existing, requested: d.requested)
        }
        return PostResult(entryID: existing.entryID, eventKey: entry.eventKey, status: .existing)
    }

    /// Reverses every line of an entry, effective on `effectiveDate` (never before the original).
    /// Running the same reversal again returns the existing reversing entry.
    @discardableResult
    public func reverse(entryID: Int64, effectiveDate: CivilDate, reason: String) throws -> PostResult {
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw LedgerError.invalidReversal(entryID: entryID, reason: "a reason is required")
        }
        guard let original = try entry(id: entryID) else { throw LedgerError.entryNotFound(entryID) }
        guard effectiveDate >= original.entry.effectiveDate else {
            throw LedgerError.invalidReversal(
                entryID: entryID, reason: "the reversal is dated \(effectiveDate), before the original's \(original.entry.effectiveDate)")
        }
        let request = Journal.reversal(of: original, effectiveDate: effectiveDate, reason: reason)
        if let by = try reversingEntryID(of: entryID) {
            if let existing = try entry(id: by), Journal.firstDifference(existing: existing.entry, requested: request) == nil {
                return PostResult(entryID: by, eventKey: request.eventKey, status: .existing)
            }
            throw LedgerError.alreadyReversed(entryID: entryID, byEntryID: by)
        }
        return try post(request)
    }

    /// The entry with this id, with its lines.
    public func entry(id: Int64) throws -> PostedEntry? {
        try Self.loadEntry(where: "e.entry_id = \(id)", connection)
    }

    func reversingEntryID(of entryID: Int64) throws -> Int64? {
        try connection.scalar(Int64.self, "SELECT entry_id FROM ledger.journal_entry WHERE reverses = \(entryID)")
    }

    static func loadEntry(where condition: SQL, _ db: Connection) throws -> PostedEntry? {
        let rows = try db.query(
            """
            SELECT e.entry_id, e.event_key, e.effective_date, e.description, e.reverses, e.recorded_at, e.recorded_by,
                   l.account, l.fund, l.facility_id, l.side, l.amount_minor, l.currency
              FROM ledger.journal_entry e JOIN ledger.journal_line l ON l.entry_id = e.entry_id
             WHERE \(condition)
             ORDER BY l.line_no
            """)
        guard let first = rows.first else { return nil }
        let lines = try rows.map { row in
            JournalLine(
                account: try row.decode(at: 7), fund: try row.decode(at: 8), facility: try row.decode(at: 9), side: try row.decode(at: 10),
                amount: Money(minorUnits: try row.decode(at: 11), currency: try Currency.named(try row.decode(at: 12))))
        }
        let entry = NewEntry(
            eventKey: try first.decode(at: 1), effectiveDate: try first.decode(at: 2), description: try first.decode(at: 3),
            lines: lines, reverses: try first.decode(at: 4))
        return PostedEntry(entryID: try first.decode(at: 0), entry: entry, recordedAt: try first.decode(at: 5), recordedBy: try first.decode(at: 6))
    }
}

/// The event row written with an event's entry (the columns of `ledger.event`).
struct EventRow {
    var event_id: String
    var event_type: String
    var facility_id: String?
    var fund: String
    var effective_date: String
    var amount_minor: Int64?
    var currency: String
    var reference: String
    var memo: String
    var accrued_from: String?
    var accrued_to: String?
}

/// The event-row JSON `ledger.post_entry` takes, written directly: JSONEncoder was a quarter of an
/// import's time in the client.
enum PostingJSON {
    /// The event row's columns, or null.
    static func event(_ row: EventRow?, into out: inout String) {
        guard let row else {
            out += "null"
            return
        }
        var m = Members(&out)
        m.text("event_id", row.event_id, &out)
        m.text("event_type", row.event_type, &out)
        m.text("facility_id", row.facility_id, &out)
        m.text("fund", row.fund, &out)
        m.text("effective_date", row.effective_date, &out)
        m.raw("amount_minor", row.amount_minor.map(String.init) ?? "null", &out)
        m.text("currency", row.currency, &out)
        m.text("reference", row.reference, &out)
        m.text("memo", row.memo, &out)
        m.text("accrued_from", row.accrued_from, &out)
        m.text("accrued_to", row.accrued_to, &out)
        out += "}"
    }

    /// Writes the members of one object: opens it, then "key":value pairs with their commas (the
    /// caller closes it).
    struct Members {
        private var first = true

        init(_ out: inout String) { out += "{" }

        mutating func key(_ name: String, _ out: inout String) {
            out += first ? "\"\(name)\":" : ",\"\(name)\":"
            first = false
        }

        mutating func raw(_ name: String, _ value: String, _ out: inout String) {
            key(name, &out)
            out += value
        }

        mutating func text(_ name: String, _ value: String?, _ out: inout String) {
            key(name, &out)
            if let value { PostingJSON.string(value, into: &out) } else { out += "null" }
        }
    }

    /// A JSON string: quote, backslash and every control character escaped; the rest as it is.
    static func string(_ s: String, into out: inout String) {
        out += "\""
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// A batch of entries and their event rows as the column arrays `ledger.post_entry_columns` takes
/// (Schema/0009_posting_functions.sql), written directly: a third of the bytes of the same batch as JSON, and read by
/// the server in one pass per column. Entries are numbered from 1 in the order appended.
struct PostingColumns {
    private var entries = 0
    private var key = ArrayLiteral(), date = ArrayLiteral(), description = ArrayLiteral(), reverses = ArrayLiteral()
    private var lineCount = ArrayLiteral()
    private var lineEntry = ArrayLiteral(), lineNo = ArrayLiteral(), lines = LineColumns()
    private var eventEntry = ArrayLiteral(), eventID = ArrayLiteral(), eventType = ArrayLiteral(), eventFacility = ArrayLiteral()
    private var eventFund = ArrayLiteral(), eventDate = ArrayLiteral(), eventAmount = ArrayLiteral(), eventCurrency = ArrayLiteral()
    private var reference = ArrayLiteral(), memo = ArrayLiteral(), accruedFrom = ArrayLiteral(), accruedTo = ArrayLiteral()

    mutating func append(_ entry: NewEntry, event: EventRow?) {
        entries += 1
        let number = String(entries)
        key.append(entry.eventKey)
        date.append(raw: entry.effectiveDate.description)
        description.append(entry.description)
        reverses.append(raw: entry.reverses.map(String.init))
        lineCount.append(raw: String(entry.lines.count))
        for (i, l) in entry.lines.enumerated() {
            lineEntry.append(raw: number)
            lineNo.append(raw: String(i + 1))
            lines.append(l)
        }
        guard let event else { return }
        eventEntry.append(raw: number)
        eventID.append(event.event_id)
        eventType.append(event.event_type)
        eventFacility.append(event.facility_id)
        eventFund.append(event.fund)
        eventDate.append(raw: event.effective_date)
        eventAmount.append(raw: event.amount_minor.map(String.init))
        eventCurrency.append(event.currency)
        reference.append(event.reference)
        memo.append(event.memo)
        accruedFrom.append(raw: event.accrued_from)
        accruedTo.append(raw: event.accrued_to)
    }

    /// The call that writes the batch; its rows are each new entry's key and id, in entry order.
    var call: SQL {
        """
        SELECT out_key, out_id FROM ledger.post_entry_columns(
            \(key.literal)::text[], \(date.literal)::date[], \(description.literal)::text[], \(reverses.literal)::bigint[],
            \(lineCount.literal)::integer[],
            \(lineEntry.literal)::integer[], \(lineNo.literal)::integer[], \(lines.arguments),
            \(eventEntry.literal)::integer[], \(eventID.literal)::text[], \(eventType.literal)::text[], \(eventFacility.literal)::text[],
            \(eventFund.literal)::text[], \(eventDate.literal)::date[], \(eventAmount.literal)::bigint[], \(eventCurrency.literal)::text[],
            \(reference.literal)::text[], \(memo.literal)::text[], \(accruedFrom.literal)::date[], \(accruedTo.literal)::date[])
        """
    }
}

/// Journal lines as one array per column — account, fund, facility, side, amount, currency —, in
/// the order both posting functions take them (`ledger.post_entry`, `ledger.post_entry_columns`).
struct LineColumns {
    private var account = ArrayLiteral(), fund = ArrayLiteral(), facility = ArrayLiteral()
    private var side = ArrayLiteral(), amount = ArrayLiteral(), currency = ArrayLiteral()

    mutating func append(_ line: JournalLine) {
        account.append(line.account)
        fund.append(line.fund)
        facility.append(line.facility)
        side.append(raw: line.side.rawValue)
        amount.append(raw: String(line.amount.minorUnits))
        currency.append(line.amount.currency.code)
    }

    /// The six arguments, typed.
    var arguments: SQL {
        """
        \(account.literal)::text[], \(fund.literal)::text[], \(facility.literal)::text[], \(side.literal)::text[], \(amount.literal)::bigint[], \(currency.literal)::text[]
        """
    }
}

/// A PostgreSQL array literal built element by element: text in double quotes (a backslash or
/// double quote inside escaped with a backslash), so that no content can end an element early;
/// digits, dates and other values that are never more than letters, digits and dashes as they
/// are; NULL for nil.
struct ArrayLiteral {
    private var text = "{"
    private var empty = true

    init() {}

    /// Text elements.
    init<S: Sequence>(_ values: S) where S.Element == String {
        for value in values { append(value) }
    }

    /// A text element (any content).
    mutating func append(_ value: String?) {
        separate()
        guard let value else {
            text += "NULL"
            return
        }
        text += "\""
        if !value.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C }) {
            text += value
        } else {
            for scalar in value.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { text += "\\" }
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// A number, a date or a word of our own (never spaces, quotes, commas or braces).
    mutating func append(raw value: String?) {
        separate()
        text += value ?? "NULL"
    }

    var literal: String { text + "}" }

    private mutating func separate() {
        if !empty { text += "," }
        empty = false
    }
}
