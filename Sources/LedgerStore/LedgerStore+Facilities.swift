import Dates
import Ledger
import Postgres

/// What importing one facility row did.
public struct FacilityImportResult: Sendable, Hashable {
    public enum Status: String, Sendable { case created, unchanged, updated }
    public var facilityID: String
    public var status: Status
    /// For `.updated`: the columns that changed.
    public var changedColumns: [String]
}

/// One recorded change to a facility.
public struct FacilityChange: Sendable, Hashable {
    public var field: String
    public var oldValue: String
    public var newValue: String
    public var changedAt: Instant
    public var changedBy: String
}

extension LedgerStore {
    /// The critical minerals and the lists each is on.
    public func mineralLists() throws -> [String: [String]] {
        var lists: [String: [String]] = [:]
        for row in try connection.query("SELECT mineral, list_tag FROM ledger.mineral_list ORDER BY mineral, list_tag") {
            lists[try row.decode(String.self, at: 0), default: []].append(try row.decode(at: 1))
        }
        return lists
    }

    private static let facilityColumns: SQL = """
        facility_id, name, counterparty, instrument, authority, executive_order, country, state, naics, array_to_string(minerals, ';'),
        cohort_fy, currency, obligated_minor, rate::text, rate_index, spread::text, day_count, frequency, amortization,
        first_payment, maturity, grace_months, shortfall
        """

    /// Every facility, by id.
    public func facilities() throws -> [Facility] {
        try connection.query("SELECT \(Self.facilityColumns) FROM ledger.facility ORDER BY facility_id").map(Self.facility)
    }

    /// The facilities as they were at `knownAt` (as they are now when nil), by id; only `id` when
    /// given. A facility created later is left out; fields changed later get back the value they
    /// had then (each field's first recorded change after `knownAt` holds it as its old value).
    static func facilities(_ db: Connection, knownAt: Instant?, id: String? = nil) throws -> [Facility] {
        guard let knownAt else {
            return try db.query(
                "SELECT \(Self.facilityColumns) FROM ledger.facility WHERE \(id)::text IS NULL OR facility_id = \(id)::text ORDER BY facility_id"
            ).map(Self.facility)
        }
        return try db.query(
            """
            SELECT \(Self.facilityColumns)
              FROM (SELECT (jsonb_populate_record(f, coalesce(
                               (SELECT jsonb_object_agg(c.field, c.old_value ORDER BY c.change_id DESC)
                                  FROM ledger.facility_change c WHERE c.facility_id = f.facility_id AND c.changed_at > \(knownAt)::timestamptz),
                               '{}'))).*
                      FROM ledger.facility f
                     WHERE (\(knownAt)::timestamptz IS NULL OR f.created_at <= \(knownAt)::timestamptz)
                       AND (\(id)::text IS NULL OR f.facility_id = \(id)::text)) AS facility
             ORDER BY facility_id
            """
        ).map(Self.facility)
    }

    /// The facility with this id.
    public func facility(id: String) throws -> Facility? {
        try connection.query("SELECT \(Self.facilityColumns) FROM ledger.facility WHERE facility_id = \(id)").first.map(Self.facility)
    }

    /// The changes recorded for a facility, oldest first.
    public func facilityChanges(id: String) throws -> [FacilityChange] {
        try connection.query(
            """
            SELECT field, coalesce(old_value #>> '{}', ''), coalesce(new_value #>> '{}', ''), changed_at, changed_by
              FROM ledger.facility_change WHERE facility_id = \(id) ORDER BY change_id
            """
        ).map { row in
            FacilityChange(field: try row.decode(at: 0), oldValue: try row.decode(at: 1), newValue: try row.decode(at: 2), changedAt: try row.decode(at: 3), changedBy: try row.decode(at: 4))
        }
    }

    private static func facility(_ row: Row) throws -> Facility {
        let currency = try Currency.named(try row.decode(at: 11))
        func decimal(_ column: Int) throws -> ExactDecimal? { try row.decode(ExactDecimal?.self, at: column) }
        var terms: Terms?
        if let dayCount = try row.decode(String?.self, at: 16).flatMap(DayCount.init(rawValue:)) {
            let rate: Terms.Rate
            if let fixed = try decimal(13) { rate = .fixed(fixed) } else { rate = .floating(index: try row.decode(at: 14), spread: try decimal(15) ?? ExactDecimal(significand: 0, scale: 0)) }
            terms = Terms(
                rate: rate, dayCount: dayCount, frequency: Frequency(rawValue: try row.decode(at: 17))!,
                amortization: Amortization(rawValue: try row.decode(at: 18))!, firstPayment: try row.decode(at: 19), maturity: try row.decode(at: 20),
                graceMonths: try row.decode(at: 21))
        }
        return Facility(
            id: try row.decode(at: 0), name: try row.decode(at: 1), counterparty: try row.decode(at: 2),
            instrument: Instrument(rawValue: try row.decode(at: 3))!, authority: Authority(rawValue: try row.decode(at: 4))!,
            executiveOrder: try row.decode(at: 5), country: try row.decode(at: 6), state: try row.decode(at: 7), naics: try row.decode(at: 8),
            minerals: (try row.decode(String.self, at: 9)).split(separator: ";").map(String.init), cohortFY: try row.decode(at: 10),
            currency: currency, obligated: Money(minorUnits: try row.decode(at: 12), currency: currency), terms: terms,
            shortfall: try row.decode(at: 22))
    }

    /// The facility's column values for INSERT and UPDATE, in `facilityColumns` order.
    private static func values(_ f: Facility) -> SQL {
        var fixed: String?, index: String?, spread: String?
        switch f.terms?.rate {
        case .fixed(let r): fixed = r.description
        case .floating(let i, let s):
            index = i
            spread = s.description
        case nil: break
        }
        let t = f.terms
        return """
            \(f.id), \(f.name), \(f.counterparty), \(f.instrument.rawValue), \(f.authority.rawValue), \(f.executiveOrder), \(f.country), \(f.state),
            \(f.naics), string_to_array(\(f.minerals.joined(separator: ";")), ';'), \(f.cohortFY), \(f.currency.code), \(f.obligated.minorUnits),
            \(fixed)::numeric, \(index), \(spread)::numeric, \(t?.dayCount.rawValue), \(t?.frequency.rawValue), \(t?.amortization.rawValue),
            \(t?.firstPayment), \(t?.maturity), \(t?.graceMonths), \(f.shortfall)
            """
    }

    /// Imports facilities all or nothing: a new id is created, an identical row changes nothing, a
    /// changed row is refused (naming the row and the first changed column) unless `update`, and
    /// then every changed field is recorded with who and when. A facility that has journal lines
    /// keeps its instrument and currency.
    @discardableResult
    public func importFacilities(_ rows: [(location: String, facility: Facility)], file: String, update: Bool) throws -> [FacilityImportResult] {
        var seen: [String: String] = [:]
        for (location, f) in rows {
            if let first = seen[f.id] {
                throw InputError(file: file, location: location, field: "facility_id", value: f.id, reason: "appears twice in the file (first at \(first))")
            }
            seen[f.id] = location
        }
        return try connection.transaction { tx in
            var results: [FacilityImportResult] = []
            for (location, f) in rows {
                let existing = try tx.query("SELECT \(Self.facilityColumns) FROM ledger.facility WHERE facility_id = \(f.id) FOR UPDATE").first.map(Self.facility)
                guard let existing else {
                    try tx.execute(
                        """
                        INSERT INTO ledger.facility (facility_id, name, counterparty, instrument, authority, executive_order, country, state, naics,
                            minerals, cohort_fy, currency, obligated_minor, rate, rate_index, spread, day_count, frequency, amortization,
                            first_payment, maturity, grace_months, shortfall)
                        VALUES (\(Self.values(f)))
                        """)
                    results.append(FacilityImportResult(facilityID: f.id, status: .created, changedColumns: []))
                    continue
                }
                let old = existing.fields
                let new = f.fields
                let changed = Facility.columns.filter { old[$0] != new[$0] }
                guard let firstChange = changed.first else {
                    results.append(FacilityImportResult(facilityID: f.id, status: .unchanged, changedColumns: []))
                    continue
                }
                guard update else {
                    throw InputError(
                        file: file, location: location, field: firstChange, value: new[firstChange] ?? "",
                        reason: "facility \(f.id) already has \"\(old[firstChange] ?? "")\" here; import with --update to change it (the change is recorded)")
                }
                for column in ["instrument", "currency"] where changed.contains(column) {
                    if try tx.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM ledger.journal_line WHERE facility_id = \(f.id))") == true {
                        throw InputError(file: file, location: location, field: column, value: new[column] ?? "", reason: "facility \(f.id) has journal entries: its \(column) cannot change")
                    }
                }
                try tx.execute(
                    """
                    UPDATE ledger.facility SET (facility_id, name, counterparty, instrument, authority, executive_order, country, state, naics,
                        minerals, cohort_fy, currency, obligated_minor, rate, rate_index, spread, day_count, frequency, amortization,
                        first_payment, maturity, grace_months, shortfall) = (\(Self.values(f)))
                     WHERE facility_id = \(f.id)
                    """)
                results.append(FacilityImportResult(facilityID: f.id, status: .updated, changedColumns: changed))
            }
            return results
        }
    }
}

extension ExactDecimal: PostgresDecodable {
    public static func decode(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> ExactDecimal {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let value = ExactDecimal(text) else { throw PostgresDecodingFailure("\(text) is not an exact decimal of at most 18 places") }
        return value
    }
}

/// One floating-rate index value, from its date on.
public struct RateReset: Sendable, Hashable {
    public var index: String
    public var date: CivilDate
    public var rate: ExactDecimal

    public init(index: String, date: CivilDate, rate: ExactDecimal) {
        self.index = index
        self.date = date
        self.rate = rate
    }
}

extension LedgerStore {
    /// The index's value on `day`: the latest reset on or before it.
    public func rate(index: String, on day: CivilDate) throws -> ExactDecimal? {
        try connection.scalar(
            ExactDecimal.self,
            "SELECT rate::text FROM ledger.rate_reset WHERE rate_index = \(index) AND effective_date <= \(day) ORDER BY effective_date DESC LIMIT 1")
    }

    /// Every reset of an index, by date.
    public func rateResets(index: String) throws -> [RateReset] {
        try connection.query("SELECT effective_date, rate::text FROM ledger.rate_reset WHERE rate_index = \(index) ORDER BY effective_date").map {
            RateReset(index: index, date: try $0.decode(at: 0), rate: try $0.decode(at: 1))
        }
    }

    /// Imports resets all or nothing: an identical reset is a no-op, a different rate for an index
    /// and date already imported is refused (accruals were computed from it). Returns how many were new.
    @discardableResult
    public func importRates(_ rows: [(location: String, reset: RateReset)], file: String) throws -> Int {
        try connection.transaction { tx in
            var created = 0
            for (location, r) in rows {
                if let existing = try tx.scalar(ExactDecimal.self, "SELECT rate::text FROM ledger.rate_reset WHERE rate_index = \(r.index) AND effective_date = \(r.date)") {
                    guard existing == r.rate else {
                        throw InputError(file: file, location: location, field: "rate", value: r.rate.description, reason: "\(r.index) on \(r.date) was imported as \(existing) already; resets cannot change")
                    }
                    continue
                }
                try tx.execute("INSERT INTO ledger.rate_reset (rate_index, effective_date, rate) VALUES (\(r.index), \(r.date), \(r.rate.description)::numeric)")
                created += 1
            }
            return created
        }
    }
}

extension LedgerStore {
    /// A direct loan's repayment schedule on its obligated amount (DESIGN.md §4), with the annual
    /// rate it uses: the fixed rate, or the index on the first payment date plus the spread.
    public func schedule(of facility: Facility) throws -> (schedule: Schedule, annualRate: ExactDecimal, terms: Terms) {
        guard let terms = facility.terms else {
            throw LedgerError.invalidEntry(eventKey: facility.id, reason: "a \(facility.instrument.rawValue) has no repayment schedule")
        }
        let annual: ExactDecimal
        switch terms.rate {
        case .fixed(let r): annual = r
        case .floating(let index, let spread):
            guard let reset = try rate(index: index, on: terms.firstPayment) else {
                throw LedgerError.invalidEntry(
                    eventKey: facility.id, reason: "no \(index) rate on or before \(terms.firstPayment): import rate resets first (dfc-ledger import rates)")
            }
            annual = try reset.adding(spread)
        }
        let schedule = try Schedule.make(
            principal: facility.obligated.minorUnits, rate: annual, frequency: terms.frequency, amortization: terms.amortization,
            firstPayment: terms.firstPayment, maturity: terms.maturity, graceMonths: terms.graceMonths)
        return (schedule, annual, terms)
    }
}
