import Dates

/// One line of a journal entry: an amount on one side of one account, in one fund.
public struct JournalLine: Hashable, Sendable {
    public var account: String
    public var fund: String
    /// The facility the line belongs to; nil for fund-level lines.
    public var facility: String?
    public var side: Side
    /// Always positive; the side says which way it goes.
    public var amount: Money

    public init(account: String, fund: String, facility: String? = nil, side: Side, amount: Money) {
        self.account = account
        self.fund = fund
        self.facility = facility
        self.side = side
        self.amount = amount
    }

    /// The amount in minor units, debits positive and credits negative.
    public var signedMinorUnits: Int64 { side == .debit ? amount.minorUnits : -amount.minorUnits }

    /// The same line on the other side.
    public var mirrored: JournalLine {
        var line = self
        line.side = side == .debit ? .credit : .debit
        return line
    }
}

/// An entry to be posted: the request, before the database gives it an id and a recorded time.
public struct NewEntry: Hashable, Sendable {
    /// The client's idempotency key (an event id).
    public var eventKey: String
    /// The accounting date.
    public var effectiveDate: CivilDate
    public var description: String
    public var lines: [JournalLine]
    /// The entry this one reverses, if it is a reversal.
    public var reverses: Int64?

    public init(eventKey: String, effectiveDate: CivilDate, description: String, lines: [JournalLine], reverses: Int64? = nil) {
        self.eventKey = eventKey
        self.effectiveDate = effectiveDate
        self.description = description
        self.lines = lines
        self.reverses = reverses
    }
}

/// An entry as the journal holds it.
public struct PostedEntry: Hashable, Sendable {
    public var entryID: Int64
    public var entry: NewEntry
    /// Set by the database server's clock.
    public var recordedAt: Instant
    /// The database session user who recorded it.
    public var recordedBy: String

    public init(entryID: Int64, entry: NewEntry, recordedAt: Instant, recordedBy: String) {
        self.entryID = entryID
        self.entry = entry
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
    }
}

/// The journal's rules, checked in Swift before anything is written (the database checks them
/// again as the lines are inserted).
public enum Journal {
    /// The most lines one entry may have.
    public static let linesPerEntryMax = 1000
    public static let eventKeyLengthMax = 200
    public static let descriptionLengthMax = 1000

    /// Checks an entry against the chart: known accounts and funds, positive amounts in known
    /// currencies, a line count within limits, and balance per currency within each account set
    /// and within each fund.
    public static func validate(_ entry: NewEntry, accounts: [String: Account], funds: Set<String>) throws(LedgerError) {
        let key = entry.eventKey
        guard !key.isEmpty, key.count <= eventKeyLengthMax, !key.contains(where: { $0.isNewline }) else {
            throw .invalidEntry(eventKey: key, reason: "the event key must be 1 to \(eventKeyLengthMax) characters on one line")
        }
        guard entry.description.count <= descriptionLengthMax else {
            throw .invalidEntry(eventKey: key, reason: "the description is longer than \(descriptionLengthMax) characters")
        }
        guard entry.lines.count >= 2, entry.lines.count <= linesPerEntryMax else {
            throw .invalidEntry(eventKey: key, reason: "an entry has 2 to \(linesPerEntryMax) lines, this one has \(entry.lines.count)")
        }
        var bySet: [BalanceGroup: Int64] = [:]
        var byFund: [BalanceGroup: Int64] = [:]
        for (i, line) in entry.lines.enumerated() {
            let n = i + 1
            guard let account = accounts[line.account] else {
                throw .invalidLine(eventKey: key, line: n, field: "account", value: line.account, reason: "not in the chart of accounts")
            }
            guard funds.contains(line.fund) else {
                throw .invalidLine(eventKey: key, line: n, field: "fund", value: line.fund, reason: "not a known fund")
            }
            guard line.amount.minorUnits > 0 else {
                throw .invalidLine(eventKey: key, line: n, field: "amount", value: line.amount.formatted, reason: "amounts are positive; the side gives the direction")
            }
            if let facility = line.facility, !isWellFormedFacilityID(facility) {
                throw .invalidLine(eventKey: key, line: n, field: "facility", value: facility, reason: "a facility id is 1 to 64 letters, digits, '.', '_' or '-'")
            }
            let signed = line.signedMinorUnits
            let currency = line.amount.currency
            try accumulate(&bySet, BalanceGroup(label: account.set.rawValue, currency: currency), signed, key)
            try accumulate(&byFund, BalanceGroup(label: "fund \(line.fund)", currency: currency), signed, key)
        }
        for (group, difference) in bySet.sorted(by: { $0.key < $1.key }) + byFund.sorted(by: { $0.key < $1.key }) where difference != 0 {
            throw .unbalanced(eventKey: key, group: group.label, difference: Money(minorUnits: difference, currency: group.currency).description)
        }
    }

    /// Lines that must balance among themselves: one account set, or one fund, in one currency.
    private struct BalanceGroup: Hashable, Comparable {
        var label: String
        var currency: Currency
        static func < (a: BalanceGroup, b: BalanceGroup) -> Bool { (a.label, a.currency.code) < (b.label, b.currency.code) }
    }

    private static func accumulate(_ totals: inout [BalanceGroup: Int64], _ group: BalanceGroup, _ amount: Int64, _ key: String) throws(LedgerError) {
        let (sum, overflow) = totals[group, default: 0].addingReportingOverflow(amount)
        guard !overflow else { throw .invalidEntry(eventKey: key, reason: "the amounts overflow 64-bit minor units") }
        totals[group] = sum
    }

    /// Whether `id` has the form of a facility id.
    public static func isWellFormedFacilityID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, id.unicodeScalars.count <= 64, first.isASCIIAlphanumeric else { return false }
        return id.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// The entry that reverses `original`: every line mirrored.
    public static func reversal(of original: PostedEntry, effectiveDate: CivilDate, reason: String) -> NewEntry {
        NewEntry(
            eventKey: "reversal:\(original.entryID)", effectiveDate: effectiveDate,
            description: "Reversal of entry \(original.entryID) (\(original.entry.eventKey)): \(reason)",
            lines: original.entry.lines.map(\.mirrored), reverses: original.entryID)
    }

    /// The first field in which two requests with the same key differ, as `field`, old, new; nil
    /// when they are the same posting.
    public static func firstDifference(existing: NewEntry, requested: NewEntry) -> (field: String, existing: String, requested: String)? {
        if existing.effectiveDate != requested.effectiveDate {
            return ("date", existing.effectiveDate.description, requested.effectiveDate.description)
        }
        if existing.description != requested.description { return ("description", existing.description, requested.description) }
        if existing.reverses != requested.reverses {
            return ("reverses", existing.reverses.map(String.init) ?? "none", requested.reverses.map(String.init) ?? "none")
        }
        if existing.lines.count != requested.lines.count {
            return ("lines", "\(existing.lines.count) lines", "\(requested.lines.count) lines")
        }
        for (i, (a, b)) in zip(existing.lines, requested.lines).enumerated() {
            let fields: [(String, String, String)] = [
                ("account", a.account, b.account), ("fund", a.fund, b.fund), ("facility", a.facility ?? "", b.facility ?? ""),
                ("side", a.side.rawValue, b.side.rawValue), ("amount", a.amount.formatted, b.amount.formatted),
                ("currency", a.amount.currency.code, b.amount.currency.code),
            ]
            if let d = fields.first(where: { $0.1 != $0.2 }) { return ("lines[\(i + 1)].\(d.0)", d.1, d.2) }
        }
        return nil
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
    }
}
