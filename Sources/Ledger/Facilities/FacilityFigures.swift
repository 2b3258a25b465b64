import Dates

/// What the reports read of one facility as of a date, in its own currency: its position (the
/// event sums and balances the business rules read) and the principal repaid (DOMAIN.md §5).
public struct FacilityFigures: Sendable, Hashable {
    public var position: FacilityPosition
    /// Principal received by `repay` and `repay-principal` events (their 135000 credits); write-offs
    /// are not repayments.
    public var principalRepaid: Int64

    public init(position: FacilityPosition = FacilityPosition(), principalRepaid: Int64 = 0) {
        self.position = position
        self.principalRepaid = principalRepaid
    }

    /// The amounts the reports show of a facility (DOMAIN.md §5), in its own currency.
    public struct Components: Sendable, Hashable {
        /// Gross obligations, before deobligations.
        public var obligated: Int64
        public var deobligated: Int64
        /// Disbursements, equity calls and purchases.
        public var disbursed: Int64
        /// Principal repaid.
        public var repaid: Int64
        public var outstandingPrincipal: Int64
        public var undisbursed: Int64
        public var accruedInterest: Int64
        public var guaranteeOutstanding: Int64
        public var equityCost: Int64
        /// Cost plus the fair-value adjustment.
        public var equityFairValue: Int64
        /// What counts toward the MCL (`Limits.exposure`).
        public var exposure: Int64
    }

    public func components(_ instrument: Instrument) -> Components {
        let p = position
        return Components(
            obligated: p.obligated, deobligated: p.deobligated, disbursed: p.disbursed, repaid: principalRepaid, outstandingPrincipal: p.principal,
            undisbursed: p.undisbursed, accruedInterest: p.accruedInterest, guaranteeOutstanding: p.guaranteeOutstanding, equityCost: p.equityCost,
            equityFairValue: p.equityCost + p.equityAdjustment, exposure: Limits.exposure(instrument, p))
    }
}

/// One journal entry with lines on a facility, as its statement lists it.
public struct FacilityEntry: Sendable, Hashable {
    /// An entry's place in the audit chain and its SHA-256.
    public struct Seal: Sendable, Hashable {
        public var chainSeq: Int64
        public var sha256: String
        public init(chainSeq: Int64, sha256: String) {
            self.chainSeq = chainSeq
            self.sha256 = sha256
        }
    }

    public var entryID: Int64
    public var date: CivilDate
    public var eventKey: String
    /// The event's type; nil for a manual entry or a reversal.
    public var eventType: String?
    /// The event's amount, else the entry's proprietary debits on the facility (a manual entry,
    /// a reversal, a write-off of everything); minor units of `currency`.
    public var amount: Int64
    public var currency: Currency
    /// The event's reference ("" when none).
    public var reference: String
    public var description: String
    public var reverses: Int64?
    /// The entry that reverses this one, when it is in the statement's view.
    public var reversedBy: Int64?
    /// Nil until the sealer has chained it (or when sealed after the time the view is known at).
    public var seal: Seal?

    public init(
        entryID: Int64, date: CivilDate, eventKey: String, eventType: String?, amount: Int64, currency: Currency, reference: String,
        description: String, reverses: Int64?, reversedBy: Int64?, seal: Seal?
    ) {
        self.entryID = entryID
        self.date = date
        self.eventKey = eventKey
        self.eventType = eventType
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.description = description
        self.reverses = reverses
        self.reversedBy = reversedBy
        self.seal = seal
    }
}
