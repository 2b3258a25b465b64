import Dates

/// What the exposure report and `report limits` read, from one snapshot: the facilities, FX rates
/// and limits as known at a time, and every facility's figures at each date read.
public struct ExposureBooks: Sendable {
    public var facilities: [Facility]
    public var fxRates: [String: [Step<ExactDecimal>]]
    public var limitConfigs: [LimitConfig]
    /// Each date's figures by facility id; a facility with nothing by then is absent.
    public var figures: [CivilDate: [String: FacilityFigures]]
    /// Disbursements awaiting certification: in no figure until approved.
    public var pending: [PendingDisbursement] = []

    public init(
        facilities: [Facility], fxRates: [String: [Step<ExactDecimal>]], limitConfigs: [LimitConfig], figures: [CivilDate: [String: FacilityFigures]]
    ) {
        self.facilities = facilities
        self.fxRates = fxRates
        self.limitConfigs = limitConfigs
        self.figures = figures
    }
}

/// What a facility's statement reads, from one snapshot: the facility, its figures as of the
/// date, the FX rates, its contract schedule (a loan with terms) and every entry on it.
public struct FacilityBooks: Sendable {
    public var facility: Facility
    public var figures: FacilityFigures
    public var fxRates: [String: [Step<ExactDecimal>]]
    /// The schedule on the obligated amount and the annual rate it uses; nil without terms.
    public var schedule: (schedule: Schedule, annualRate: ExactDecimal)?
    /// Entries with a line on the facility, dated by the date, in date and entry order.
    public var entries: [FacilityEntry]
    /// The facility's disbursements awaiting certification: in no figure until approved.
    public var pending: [PendingDisbursement] = []

    public init(
        facility: Facility, figures: FacilityFigures, fxRates: [String: [Step<ExactDecimal>]], schedule: (schedule: Schedule, annualRate: ExactDecimal)?,
        entries: [FacilityEntry]
    ) {
        self.facility = facility
        self.figures = figures
        self.fxRates = fxRates
        self.schedule = schedule
        self.entries = entries
    }
}

/// A disbursement, equity call or purchase proposed and awaiting a second officer's certification
/// (four eyes): what would change if it were certified. Never in a balance, report figure or
/// limit until it is.
public struct PendingDisbursement: Sendable, Equatable {
    public var proposalID: String
    public var facilityID: String
    public var eventID: String
    public var type: String
    public var date: CivilDate
    /// In the facility's currency, minor units.
    public var amount: Int64

    public init(proposalID: String, facilityID: String, eventID: String, type: String, date: CivilDate, amount: Int64) {
        self.proposalID = proposalID
        self.facilityID = facilityID
        self.eventID = eventID
        self.type = type
        self.date = date
        self.amount = amount
    }
}
