import Dates
import Ledger
import Postgres

extension LedgerStore {
    /// Every dated row of limit configuration.
    public func limitConfigs() throws -> [LimitConfig] {
        try Self.limitConfigs(connection)
    }

    /// The limit rows recorded by `knownAt` (every one when nil).
    static func limitConfigs(_ db: Connection, knownAt: Instant? = nil) throws -> [LimitConfig] {
        try db.query(
            """
            SELECT limit_id, effective_from, kind, scope, amount_minor, share::text, severity, note FROM ledger.limit_config
             WHERE \(knownAt)::timestamptz IS NULL OR recorded_at <= \(knownAt)::timestamptz ORDER BY limit_id, effective_from
            """
        ).map { row in
            LimitConfig(
                id: try row.decode(at: 0), effectiveFrom: try row.decode(at: 1), kind: LimitKind(rawValue: try row.decode(at: 2))!,
                scope: try row.decode(at: 3), amount: try row.decode(at: 4), share: try row.decode(at: 5),
                severity: Severity(rawValue: try row.decode(at: 6))!, note: try row.decode(at: 7))
        }
    }

    /// Adds a dated row of limit configuration (a change takes effect from its date; history stays).
    /// When the approval policy covers setting limits from that date (`limits-set`), the row is
    /// checked by the database and then proposed instead: the proposal's id is returned, and a
    /// certifier's approval sets it.
    @discardableResult
    public func setLimit(_ c: LimitConfig) throws -> String? {
        try connection.transaction { tx in try Self.setLimit(c, tx, proposing: true) }
    }

    static func setLimit(_ c: LimitConfig, _ tx: Connection, proposing: Bool) throws -> String? {
        let insert: SQL = """
            INSERT INTO ledger.limit_config (limit_id, effective_from, kind, scope, amount_minor, share, severity, note)
            VALUES (\(c.id), \(c.effectiveFrom), \(c.kind.rawValue), \(c.scope), \(c.amount), \(c.share?.description)::numeric, \(c.severity.rawValue), \(c.note))
            """
        do {
            guard proposing, try tx.scalar(Bool.self, "SELECT ledger.policy_covers('limits-set', \(c.effectiveFrom), NULL)") == true else {
                try tx.execute(insert)
                return nil
            }
            // Every check of the row, then the row undone and proposed.
            try tx.execute("SAVEPOINT four_eyes")
            try tx.execute(insert)
            try tx.execute("ROLLBACK TO SAVEPOINT four_eyes")
            return try propose(
                tx, kind: "limits-set", content: LimitContent(c),
                summary: "set \(c.id) from \(c.effectiveFrom): \(c.amount.map { Money(minorUnits: $0, currency: .usd).formatted + " USD" } ?? c.share?.description ?? "")")
        } catch let error as PostgresError where error.code == .uniqueViolation {
            throw LedgerError.businessRule(eventKey: c.id, rule: "limits are dated", detail: "\(c.id) already has a value from \(c.effectiveFrom); set it from another date")
        } catch let error as PostgresError where error.code == .checkViolation {
            throw LedgerError.businessRule(eventKey: c.id, rule: "limit values", detail: error.message)
        }
    }

    /// Every FX rate, by currency and date.
    public func fxRates() throws -> [String: [Step<ExactDecimal>]] {
        try Self.fxRates(connection)
    }

    /// The FX rates recorded by `knownAt` (every one when nil).
    static func fxRates(_ db: Connection, knownAt: Instant? = nil) throws -> [String: [Step<ExactDecimal>]] {
        var rates: [String: [Step<ExactDecimal>]] = [:]
        for row in try db.query(
            """
            SELECT currency, rate_date, usd_per_unit::text FROM ledger.fx_rate
             WHERE \(knownAt)::timestamptz IS NULL OR recorded_at <= \(knownAt)::timestamptz ORDER BY currency, rate_date
            """)
        {
            rates[try row.decode(String.self, at: 0), default: []].append(Step(try row.decode(at: 1), try row.decode(at: 2)))
        }
        return rates
    }

    /// Imports FX rates all or nothing; the same rate again is a no-op, a different one for the
    /// same currency and date is refused. Returns how many were new.
    @discardableResult
    public func importFXRates(_ rows: [(location: String, currency: Currency, date: CivilDate, usdPerUnit: ExactDecimal)], file: String) throws -> Int {
        try connection.transaction { tx in
            var created = 0
            for r in rows {
                if let existing = try tx.scalar(ExactDecimal.self, "SELECT usd_per_unit::text FROM ledger.fx_rate WHERE currency = \(r.currency.code) AND rate_date = \(r.date)") {
                    guard existing == r.usdPerUnit else {
                        throw InputError(file: file, location: r.location, field: "usd_per_unit", value: r.usdPerUnit.description, reason: "\(r.currency.code) on \(r.date) was imported as \(existing) already; rates cannot change")
                    }
                    continue
                }
                try tx.execute("INSERT INTO ledger.fx_rate (currency, rate_date, usd_per_unit) VALUES (\(r.currency.code), \(r.date), \(r.usdPerUnit.description)::numeric)")
                created += 1
            }
            return created
        }
    }

    /// Every limit's standing on `date`: the limits and FX rates in effect then, over every
    /// facility's position as of that date (as known at `knownAt`).
    public func limitStatus(on date: CivilDate, knownAt: Instant? = nil) throws -> [LimitStatus] {
        let books = try exposureBooks(on: [date], knownAt: knownAt)
        return try Limits.standing(
            on: date, facilities: books.facilities, positions: (books.figures[date] ?? [:]).mapValues(\.position), fxRates: books.fxRates,
            configs: books.limitConfigs)
    }
}

/// What a `limits-set` proposal holds: the limit row, as it will be inserted.
struct LimitContent: Codable {
    var keys: [String] = []
    var limitId, effectiveFrom, kind, scope, severity, note: String
    var amountMinor: Int64?
    var share: String?

    init(_ c: LimitConfig) {
        (limitId, effectiveFrom, kind, scope, severity, note) = (c.id, c.effectiveFrom.description, c.kind.rawValue, c.scope, c.severity.rawValue, c.note)
        (amountMinor, share) = (c.amount, c.share?.description)
    }

    func config(proposal: String) throws -> LimitConfig {
        guard let from = CivilDate(iso: effectiveFrom), let limitKind = LimitKind(rawValue: kind), let level = Severity(rawValue: severity) else {
            throw ProposalContent.unreadable(proposal, "limit", limitId)
        }
        return LimitConfig(
            id: limitId, effectiveFrom: from, kind: limitKind, scope: scope, amount: amountMinor, share: share.flatMap(ExactDecimal.init), severity: level,
            note: note)
    }
}
