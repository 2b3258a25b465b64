import Ledger

/// A facility as printed: every field of the facilities CSV, minerals as a list with their tags.
public struct FacilityView: Encodable, Sendable, Equatable {
    public struct TaggedMineral: Encodable, Sendable, Equatable {
        public var name: String
        public var lists: [String]
    }

    public var fields: [String: String]
    public var minerals: [TaggedMineral]

    public init(_ facility: Facility, mineralLists: [String: [String]]) {
        fields = facility.fields
        minerals = facility.minerals.map { TaggedMineral(name: $0, lists: mineralLists[$0] ?? []) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: DynamicKey.self)
        for column in Facility.columns where column != "minerals" {
            let value = fields[column] ?? ""
            // Blank terms are null in JSON, not "".
            if value.isEmpty && Facility.optionalColumns.contains(column) {
                try c.encodeNil(forKey: DynamicKey(column))
            } else {
                try c.encode(value, forKey: DynamicKey(column))
            }
        }
        try c.encode(minerals, forKey: DynamicKey("minerals"))
    }

    /// `column  value` lines for a terminal, minerals with their lists.
    public var table: TextTable {
        var table = TextTable(columns: [.init("field"), .init("value")])
        for column in Facility.columns {
            if column == "minerals" {
                table.append([column, minerals.map { "\($0.name) (\($0.lists.joined(separator: ", ")))" }.joined(separator: "; ")])
            } else {
                table.append([column, fields[column] ?? ""])
            }
        }
        return table
    }

    /// One row per facility with the columns an officer scans.
    public static func list(_ facilities: [Facility]) -> TextTable {
        var table = TextTable(columns: [
            .init("facility_id"), .init("name"), .init("instrument"), .init("authority"), .init("country"), .init("state"),
            .init("primary_mineral"), .init("cohort_fy", .right), .init("currency"), .init("obligated", .right),
        ])
        for f in facilities {
            table.append([
                f.id, f.name, f.instrument.rawValue, f.authority.rawValue, f.country, f.state, f.minerals.first ?? "", String(f.cohortFY),
                f.currency.code, f.obligated.formatted,
            ])
        }
        return table
    }
}

/// A schedule as printed: `{"facility_id", "payment", "rows": [{"n", "date", "payment", "interest", "principal", "balance"}]}`.
public struct ScheduleView: Encodable, Sendable, Equatable {
    public struct Row: Encodable, Sendable, Equatable {
        public var n: Int
        public var date: String
        public var payment: String
        public var interest: String
        public var principal: String
        public var balance: String
    }

    public var facilityId: String
    /// null for other methods than level payment.
    @NullWhenAbsent public var payment: String?
    public var rows: [Row]

    public init(facilityID: String, schedule: Schedule, currency: Currency) {
        func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).formatted }
        facilityId = facilityID
        payment = schedule.payment.map(money)
        rows = schedule.rows.map {
            Row(n: $0.n, date: $0.date.description, payment: money($0.payment), interest: money($0.interest), principal: money($0.principal), balance: money($0.balance))
        }
    }

    public var table: TextTable {
        var table = TextTable(columns: [
            .init("n", .right), .init("date"), .init("payment", .right), .init("interest", .right), .init("principal", .right), .init("balance", .right),
        ])
        for r in rows { table.append([String(r.n), r.date, r.payment, r.interest, r.principal, r.balance]) }
        return table
    }
}

/// A coding key made at run time (for objects whose keys are data, like CSV columns).
struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
