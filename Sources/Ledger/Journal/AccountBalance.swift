import Dates

/// The balance of one account in one fund and currency: debits minus credits, in minor units.
public struct AccountBalance: Sendable, Hashable {
    public var account: String
    public var fund: String
    public var currency: String
    public var balanceMinorUnits: Int64

    public init(account: String, fund: String, currency: String, balanceMinorUnits: Int64) {
        self.account = account
        self.fund = fund
        self.currency = currency
        self.balanceMinorUnits = balanceMinorUnits
    }
}

/// One journal line on an account, with its entry's facts: a row of the account register.
public struct RegisterLine: Sendable, Hashable {
    public var entryID: Int64
    public var eventKey: String
    public var effectiveDate: CivilDate
    public var recordedAt: Instant
    public var description: String
    public var line: JournalLine

    public init(entryID: Int64, eventKey: String, effectiveDate: CivilDate, recordedAt: Instant, description: String, line: JournalLine) {
        self.entryID = entryID
        self.eventKey = eventKey
        self.effectiveDate = effectiveDate
        self.recordedAt = recordedAt
        self.description = description
        self.line = line
    }
}

/// The balance of one account for one facility, in one fund and currency.
public struct FacilityBalance: Sendable, Hashable {
    public var facilityID: String
    public var account: String
    public var fund: String
    public var currency: String
    public var balanceMinorUnits: Int64

    public init(facilityID: String, account: String, fund: String, currency: String, balanceMinorUnits: Int64) {
        self.facilityID = facilityID
        self.account = account
        self.fund = fund
        self.currency = currency
        self.balanceMinorUnits = balanceMinorUnits
    }
}
