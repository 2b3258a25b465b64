import Dates

/// The kinds of financing (DESIGN.md §3), each posting to its own fund (DOMAIN.md §3).
public enum Instrument: String, Sendable, CaseIterable, Codable {
    case directLoan = "direct-loan"
    case loanGuarantee = "loan-guarantee"
    case equity
    case purchaseCommitment = "purchase-commitment"
    case grant

    /// The fund (Treasury account) the instrument's lines go to.
    public var fund: String {
        switch self {
        case .directLoan: "FIN-DL"
        case .loanGuarantee: "FIN-LG"
        case .equity: "EQ"
        case .purchaseCommitment: "DPA"
        case .grant: "PRG"
        }
    }

    /// Only direct loans bear interest.
    public var bearsInterest: Bool { self == .directLoan }
}

/// The legal authority a facility is made under.
public enum Authority: String, Sendable, CaseIterable, Codable {
    case dpa301 = "DPA-301"
    case dpa302 = "DPA-302"
    case dpa303 = "DPA-303"
    case build9621 = "BUILD-9621"
}

/// A direct loan's interest and repayment terms.
public struct Terms: Sendable, Hashable {
    public enum Rate: Sendable, Hashable {
        /// A fixed annual rate.
        case fixed(ExactDecimal)
        /// An index (imported rate resets) plus a spread.
        case floating(index: String, spread: ExactDecimal)
    }

    public var rate: Rate
    public var dayCount: DayCount
    public var frequency: Frequency
    public var amortization: Amortization
    public var firstPayment: CivilDate
    public var maturity: CivilDate
    public var graceMonths: Int

    public init(rate: Rate, dayCount: DayCount, frequency: Frequency, amortization: Amortization, firstPayment: CivilDate, maturity: CivilDate, graceMonths: Int) {
        self.rate = rate
        self.dayCount = dayCount
        self.frequency = frequency
        self.amortization = amortization
        self.firstPayment = firstPayment
        self.maturity = maturity
        self.graceMonths = graceMonths
    }
}

/// One financing (DESIGN.md §3, the facilities CSV of §5).
public struct Facility: Sendable, Hashable {
    public var id: String
    public var name: String
    public var counterparty: String
    public var instrument: Instrument
    public var authority: Authority
    /// Free text, e.g. "EO 14241 (2025-03-20)".
    public var executiveOrder: String
    /// ISO 3166-1 alpha-2.
    public var country: String
    /// USPS code for a US facility; empty elsewhere.
    public var state: String
    public var naics: String
    /// Names from the critical-mineral lists; the first is the primary.
    public var minerals: [String]
    public var cohortFY: Int
    public var currency: Currency
    /// The amount approved (obligations themselves come from `obligate` events).
    public var obligated: Money
    public var terms: Terms?
    /// The industrial-resource shortfall a DPA §302 loan addresses (exact text); empty otherwise.
    public var shortfall: String

    public init(
        id: String, name: String, counterparty: String, instrument: Instrument, authority: Authority, executiveOrder: String,
        country: String, state: String, naics: String, minerals: [String], cohortFY: Int, currency: Currency, obligated: Money,
        terms: Terms?, shortfall: String
    ) {
        self.id = id
        self.name = name
        self.counterparty = counterparty
        self.instrument = instrument
        self.authority = authority
        self.executiveOrder = executiveOrder
        self.country = country
        self.state = state
        self.naics = naics
        self.minerals = minerals
        self.cohortFY = cohortFY
        self.currency = currency
        self.obligated = obligated
        self.terms = terms
        self.shortfall = shortfall
    }

    /// The columns of the facilities CSV, in the contract's order.
    public static let columns = [
        "facility_id", "name", "counterparty", "instrument", "authority", "executive_order", "country", "state", "naics", "minerals",
        "cohort_fy", "currency", "obligated", "rate", "rate_index", "spread", "day_count", "frequency", "amortization",
        "first_payment", "maturity", "grace_months", "shortfall",
    ]
    /// Columns that may be left out of a file (blank when absent).
    public static let optionalColumns = ["state", "rate", "rate_index", "spread", "day_count", "frequency", "amortization", "first_payment", "maturity", "grace_months", "shortfall"]

    /// The facility as CSV fields, by column: what `parse` reads back to the same facility.
    public var fields: [String: String] {
        var f: [String: String] = [
            "facility_id": id, "name": name, "counterparty": counterparty, "instrument": instrument.rawValue, "authority": authority.rawValue,
            "executive_order": executiveOrder, "country": country, "state": state, "naics": naics, "minerals": minerals.joined(separator: ";"),
            "cohort_fy": String(cohortFY), "currency": currency.code, "obligated": obligated.formatted, "shortfall": shortfall,
        ]
        for c in Self.columns where f[c] == nil { f[c] = "" }
        if let t = terms {
            switch t.rate {
            case .fixed(let r): f["rate"] = Self.percent(r)
            case .floating(let index, let spread):
                f["rate_index"] = index
                f["spread"] = Self.percent(spread)
            }
            f["day_count"] = t.dayCount.rawValue
            f["frequency"] = t.frequency.rawValue
            f["amortization"] = t.amortization.rawValue
            f["first_payment"] = t.firstPayment.description
            f["maturity"] = t.maturity.description
            f["grace_months"] = String(t.graceMonths)
        }
        return f
    }

    /// A rate as a percentage with no trailing zeros: 0.0525 → "5.25%".
    public static func percent(_ r: ExactDecimal) -> String {
        let scaled = ExactDecimal(significand: r.significand, scale: max(r.scale - 2, 0))
        let value = r.scale >= 2 ? scaled : ExactDecimal(significand: r.significand * pow10(2 - r.scale), scale: 0)
        return value.normalized.description + "%"
    }

    /// Parses one facility from CSV fields (or `facility add` options), checking every rule and
    /// naming the column and value of the first problem. `minerals` maps each known mineral to its
    /// lists; `location` is where the fields came from ("row 7").
    public static func parse(_ raw: [String: String], minerals known: [String: [String]], file: String, location: String) throws(InputError) -> Facility {
        func value(_ column: String) -> String { (raw[column] ?? "").trimmingSpaces }
        func fail(_ column: String, _ reason: String) -> InputError {
            InputError(file: file, location: location, field: column, value: value(column), reason: reason)
        }
        func required(_ column: String) throws(InputError) -> String {
            let v = value(column)
            guard !v.isEmpty else { throw fail(column, "is required") }
            return v
        }
        func oneOf<E: RawRepresentable & CaseIterable>(_ column: String, _: E.Type) throws(InputError) -> E where E.RawValue == String {
            let v = try required(column)
            guard let e = E(rawValue: v) else { throw fail(column, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))") }
            return e
        }
        func date(_ column: String) throws(InputError) -> CivilDate {
            guard let d = CivilDate(iso: try required(column)) else { throw fail(column, "not a date in YYYY-MM-DD form") }
            return d
        }
        func rate(_ column: String, allowNegative: Bool) throws(InputError) -> ExactDecimal {
            let v = try required(column)
            guard let r = ExactDecimal(v), r.scale <= 10 else { throw fail(column, "not a rate such as 5.25% or 0.0525 (at most 10 decimal places)") }
            guard allowNegative || r >= ExactDecimal(significand: 0, scale: 0), r < ExactDecimal(significand: 1, scale: 0),
                r > ExactDecimal(significand: -1, scale: 0)
            else { throw fail(column, allowNegative ? "must be between -100% and 100%" : "must be at least 0% and below 100%") }
            return r
        }
        func text(_ column: String, max: Int = 200) throws(InputError) -> String {
            let v = try required(column)
            guard v.count <= max, !v.contains(where: { $0.isNewline }) else { throw fail(column, "must be one line of at most \(max) characters") }
            return v
        }

        let id = try required("facility_id")
        guard Journal.isWellFormedFacilityID(id) else { throw fail("facility_id", "a facility id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit") }
        let instrument = try oneOf("instrument", Instrument.self)
        let authority = try oneOf("authority", Authority.self)
        let country = try required("country")
        guard Countries.alpha2.contains(country) else { throw fail("country", "not an ISO 3166-1 alpha-2 country code (e.g. US, CA, AU)") }
        let state = value("state")
        if country == "US" {
            guard Countries.usStates.contains(state) else { throw fail("state", "a US facility needs its state's two-letter USPS code (e.g. AK, NV)") }
        } else if !state.isEmpty {
            throw fail("state", "only a US facility has a state")
        }
        let naics = try required("naics")
        guard (2...6).contains(naics.count), naics.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw fail("naics", "a NAICS code is 2 to 6 digits") }
        var minerals: [String] = []
        for part in try required("minerals").split(separator: ";", omittingEmptySubsequences: false) {
            let name = String(part).trimmingSpaces.lowercased()
            guard known[name] != nil else { throw fail("minerals", "\"\(name)\" is on no critical-mineral list (USGS-2022, USGS-2025, EO-14241)") }
            guard !minerals.contains(name) else { throw fail("minerals", "\"\(name)\" is listed twice") }
            minerals.append(name)
        }
        guard let cohort = Int(try required("cohort_fy")), (1990...2100).contains(cohort) else { throw fail("cohort_fy", "a fiscal year such as 2027") }
        let currencyCode = try required("currency")
        let currency: Currency
        do { currency = try Currency.named(currencyCode) } catch { throw fail("currency", error.reason) }
        let obligatedText = try required("obligated")
        let obligated: Money
        do { obligated = try Money(parsing: obligatedText, currency: currency) } catch { throw fail("obligated", error.reason) }
        guard obligated.minorUnits > 0 else { throw fail("obligated", "must be positive") }
        let shortfall = value("shortfall")
        if authority == .dpa302 && shortfall.isEmpty { throw fail("shortfall", "a DPA §302 loan names the industrial-resource shortfall it addresses") }

        let termColumns = ["rate", "rate_index", "spread", "day_count", "frequency", "amortization", "first_payment", "maturity", "grace_months"]
        var terms: Terms?
        if instrument.bearsInterest {
            let fixed = !value("rate").isEmpty
            let floating = !value("rate_index").isEmpty || !value("spread").isEmpty
            guard fixed != floating else {
                throw fail(fixed ? "rate_index" : "rate", "give either a fixed rate, or a rate_index and a spread")
            }
            let r: Terms.Rate
            if fixed {
                r = .fixed(try rate("rate", allowNegative: false))
            } else {
                let index = try required("rate_index")
                guard index.count <= 40, index.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw fail("rate_index", "an index name is up to 40 letters, digits, '-', '_' or '.' (e.g. SOFR-3M)")
                }
                r = .floating(index: index, spread: try rate("spread", allowNegative: true))
            }
            let dayCountText = try required("day_count")
            if let refusal = DayCount.refusal(dayCountText) { throw fail("day_count", refusal) }
            let first = try date("first_payment")
            let maturity = try date("maturity")
            guard first <= maturity else { throw fail("maturity", "is before first_payment \(first)") }
            guard let grace = Int(try required("grace_months")), (0...600).contains(grace) else { throw fail("grace_months", "a whole number of months from 0 to 600") }
            terms = Terms(
                rate: r, dayCount: DayCount(rawValue: dayCountText)!, frequency: try oneOf("frequency", Frequency.self),
                amortization: try oneOf("amortization", Amortization.self), firstPayment: first, maturity: maturity, graceMonths: grace)
        } else if let column = termColumns.first(where: { !value($0).isEmpty }) {
            throw fail(column, "a \(instrument.rawValue) bears no interest: leave the terms columns blank")
        }
        return Facility(
            id: id, name: try text("name"), counterparty: try text("counterparty"), instrument: instrument, authority: authority,
            executiveOrder: try text("executive_order"), country: country, state: state, naics: naics, minerals: minerals,
            cohortFY: cohort, currency: currency, obligated: obligated, terms: terms, shortfall: shortfall)
    }

    /// The list tags of each mineral, e.g. graphite → [USGS-2022, USGS-2025].
    public func mineralTags(_ known: [String: [String]]) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: minerals.map { ($0, known[$0] ?? []) })
    }
}

/// ISO 3166-1 alpha-2 codes (249, as published in ISO 3166-1:2020 and its newsletters) and the
/// USPS codes of US states, the District of Columbia and territories.
public enum Countries {
    public static let alpha2: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN \
        CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM \
        HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK \
        ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
        SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI \
        VN VU WF WS YE YT ZA ZM ZW
        """.split(separator: " ").map(String.init))

    public static let usStates: Set<String> = Set(
        """
        AK AL AR AS AZ CA CO CT DC DE FL GA GU HI IA ID IL IN KS KY LA MA MD ME MI MN MO MP MS MT NC ND NE NH NJ NM NV NY OH OK OR PA PR RI SC SD TN \
        TX UM UT VA VI VT WA WI WV WY
        """.split(separator: " ").map(String.init))
}
