import Dates

/// A bank or Treasury account statement as read from its file, checked: its items roll the
/// opening balance forward to the closing one (DOMAIN.md §7), before anything is stored.
///
/// Amounts are signed minor units from the account holder's view: a receipt into the account is
/// positive, a payment out of it negative (DESIGN.md §5).
public struct BankStatement: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case csv, bai2, camt053 = "camt.053"
    }

    public struct Item: Sendable, Equatable {
        public var date: CivilDate
        public var amount: Int64
        /// The reference matching uses: CSV `reference`; BAI2 customer reference, else bank
        /// reference; camt.053 EndToEndId, else AcctSvcrRef or NtryRef.
        public var reference: String
        public var description: String
        /// The bank's own reference, when the format has one besides `reference`.
        public var bankReference: String
        /// Where the item is in its file ("row 4", "line 12").
        public var location: String

        public init(date: CivilDate, amount: Int64, reference: String, description: String, bankReference: String = "", location: String) {
            self.date = date
            self.amount = amount
            self.reference = reference
            self.description = description
            self.bankReference = bankReference
            self.location = location
        }
    }

    /// The statement's own id (BAI2 file id and account, camt.053 `Stmt/Id`; for CSV, which has
    /// none, the SHA-256 of the file's bytes): the same id with other content is another file
    /// claiming to be this statement.
    public var id: String
    public var format: Format
    /// The account number the file names ("" when it names none, as CSV).
    public var bankAccount: String
    public var currency: Currency
    public var opening: Int64
    public var closing: Int64
    public var items: [Item]
    /// The SHA-256 of the file's bytes, hex: what "the same statement again" is compared by.
    public var sha256: String
    /// The dates the file says it covers (camt.053 `FrToDt`, a BAI2 group's as-of date), if any.
    public var statedPeriod: ClosedRange<CivilDate>?

    public init(
        id: String, format: Format, bankAccount: String, currency: Currency, opening: Int64, closing: Int64, items: [Item], sha256: String,
        statedPeriod: ClosedRange<CivilDate>? = nil
    ) {
        self.id = id
        self.format = format
        self.bankAccount = bankAccount
        self.currency = currency
        self.opening = opening
        self.closing = closing
        self.items = items
        self.sha256 = sha256
        self.statedPeriod = statedPeriod
    }

    /// The dates the statement covers, whose ledger movements it is matched against: the period
    /// the file states, widened to every item's date (a BAI2 item dated by its value date may lie
    /// outside its group's as-of date); the first to the last item's date when the file states
    /// none (CSV). Nil for a statement without items or a stated period.
    public var period: ClosedRange<CivilDate>? {
        let dates = items.map(\.date) + [statedPeriod?.lowerBound, statedPeriod?.upperBound].compactMap { $0 }
        guard let first = dates.min(), let last = dates.max() else { return nil }
        return first...last
    }
}

/// One entry's net effect on the reconciled account, fund and currency (DESIGN.md §5): a `repay`
/// is one receipt. Signed from the account's view, as statement items are.
public struct LedgerMovement: Sendable, Equatable {
    public var entryID: Int64
    public var date: CivilDate
    public var amount: Int64
    /// The event's reference, else its event id.
    public var reference: String
    /// Matched to a statement item already (any statement's).
    public var matched: Bool

    public init(entryID: Int64, date: CivilDate, amount: Int64, reference: String, matched: Bool = false) {
        self.entryID = entryID
        self.date = date
        self.amount = amount
        self.reference = reference
        self.matched = matched
    }
}
