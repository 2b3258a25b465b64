import Dates

/// Why the ledger refused something. Each case carries its facts; the description says what is
/// wrong and what to do.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry as a whole is malformed (key, description, line count).
    case invalidEntry(eventKey: String, reason: String)
    /// One line is malformed; `line` counts from 1.
    case invalidLine(eventKey: String, line: Int, field: String, value: String, reason: String)
    /// Debits and credits differ within an account set or a fund, for one currency.
    case unbalanced(eventKey: String, group: String, difference: String)
    /// The same event key was posted before with different content.
    case idempotencyConflict(eventKey: String, field: String, existing: String, requested: String)
    /// The entry is dated in a closed month.
    case periodClosed(month: String, eventKey: String)
    /// A period command that does not fit the month's state.
    case periodState(month: String, reason: String)
    /// No entry has this id.
    case entryNotFound(Int64)
    /// The entry was reversed already.
    case alreadyReversed(entryID: Int64, byEntryID: Int64)
    /// A reversal dated before its original, or not mirroring it.
    case invalidReversal(entryID: Int64, reason: String)
    /// A balance names an account the chart does not have (the chart and the journal disagree).
    case unknownAccount(String)
    /// The journal refused a change (append-only), or another rule the database enforces.
    case refusedByDatabase(String)
    /// A business rule refused an event before anything was written (DESIGN.md §4).
    case businessRule(eventKey: String, rule: String, detail: String)
    /// A report needs a facility's amounts in USD on a date, and its currency has no FX rate on or
    /// before that date.
    case missingFXRate(currency: String, date: CivilDate, facilityID: String)

    public var description: String {
        switch self {
        case .invalidEntry(let key, let reason): "entry \(key): \(reason)"
        case .invalidLine(let key, let line, let field, let value, let reason):
            "entry \(key), line \(line), \(field) \"\(value)\": \(reason)"
        case .unbalanced(let key, let group, let difference):
            "entry \(key) does not balance: the \(group) lines' debits minus credits is \(difference), and should be 0. Adjust the amounts so that each account set and each fund balances."
        case .idempotencyConflict(let key, let field, let existing, let requested):
            "event \(key) was already posted with a different \(field) (\"\(existing)\", now \"\(requested)\"). An event id identifies one posting: use a new event id, or reverse the original."
        case .periodClosed(let month, let key):
            "entry \(key) is dated in \(month), which is closed. Date it in an open month, or reopen \(month) with a reason."
        case .periodState(let month, let reason): "period \(month): \(reason)"
        case .entryNotFound(let id): "no journal entry has id \(id)"
        case .alreadyReversed(let id, let by): "entry \(id) was already reversed by entry \(by)"
        case .invalidReversal(let id, let reason): "cannot reverse entry \(id): \(reason)"
        case .unknownAccount(let number): "account \(number) has a balance but is not in the chart of accounts"
        case .refusedByDatabase(let message): message
        case .businessRule(let key, let rule, let detail): "event \(key) refused by the rule \(rule): \(detail)"
        case .missingFXRate(let currency, let date, let facility):
            "facility \(facility) is in \(currency), and there is no \(currency) FX rate on or before \(date): import fx-rates with a \(currency) rate dated on or before \(date) first"
        }
    }
}
