import Dates

/// An events CSV read for import without every event in memory at once: each row is parsed and
/// checked once (a bad one is an `InputError` naming its row), and only its date and where it
/// starts are kept. The events are then given in the order they are applied — by date, then file
/// order — each parsed again from the file's bytes when it is asked for.
public struct EventFile: RandomAccessCollection, Sendable {
    public let file: String
    let reader: CSVReader
    let currencies: [String: Currency]
    /// One per event, in the order applied: the date as YYYYMMDD, the record's byte offset and row.
    let slots: [(day: Int32, offset: Int32, row: Int32)]

    /// Reads `bytes` (at most 2 GiB); `currencies` are the facilities' currencies, which amounts
    /// on facility events are checked against.
    public init(_ bytes: [UInt8], file: String, currencies: [String: Currency]) throws {
        try self.init(bytes, file: file, currencies: currencies) { _ in }
    }

    /// Reads the file as `init(_:file:currencies:)` does, and gathers the events' `EventKeys` on
    /// the way, so that recording them need not read every event once more before the first.
    public static func read(_ bytes: [UInt8], file: String, currencies: [String: Currency]) throws -> (events: EventFile, keys: EventKeys) {
        var keys = EventKeys()
        let events = try EventFile(bytes, file: file, currencies: currencies) { keys.add($0) }
        return (events, keys)
    }

    private init(_ bytes: [UInt8], file: String, currencies: [String: Currency], each: (Event) -> Void) throws {
        guard bytes.count < Int(Int32.max) else { throw InputError(file: file, field: "file", value: "\(bytes.count) bytes", reason: "is larger than 2 GiB") }
        reader = try CSVReader(bytes, file: file, required: Event.columns.filter { !Event.optionalColumns.contains($0) }, optional: Event.optionalColumns)
        self.file = file
        self.currencies = currencies
        var slots: [(day: Int32, offset: Int32, row: Int32)] = []
        let reader = reader
        try reader.forEachRecord { record, offset in
            let event = try Self.parse(record, reader, currencies)
            each(event)
            slots.append((Int32(event.date.year * 10_000 + event.date.month * 100 + event.date.day), Int32(offset), Int32(record.row)))
            return true
        }
        // By date; within a date, file order (the offsets increase down the file).
        slots.sort { ($0.day, $0.offset) < ($1.day, $1.offset) }
        self.slots = slots
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { slots.count }

    /// The event in position `i` of the applied order, with its location ("row N").
    public subscript(i: Int) -> (location: String, event: Event) {
        let slot = slots[i]
        do {
            guard let record = try reader.record(at: Int(slot.offset), row: Int(slot.row)) else { preconditionFailure("no record at \(slot.offset)") }
            return ("row \(slot.row)", try Self.parse(record, reader, currencies))
        } catch {
            // The same bytes parsed without error when the file was read.
            preconditionFailure("\(file), row \(slot.row) read differently the second time: \(error)")
        }
    }

    static func parse(_ record: CSVTable.Record, _ reader: CSVReader, _ currencies: [String: Currency]) throws(InputError) -> Event {
        let fields = Dictionary(uniqueKeysWithValues: Event.columns.map { ($0, reader.value(record, $0)) })
        return try Event.parse(fields, currencyOf: { currencies[$0] }, file: reader.file, location: "row \(record.row)")
    }
}

/// What recording a file of events reads of every event before checking the first: each id (which
/// exist already, which come twice), and what the events lock — the facilities they name, and the
/// fund and currency of those that name no facility.
public struct EventKeys: Sendable {
    public private(set) var ids: Set<String> = []
    /// Ids that come more than once.
    public private(set) var repeated: Set<String> = []
    public private(set) var facilityIDs: Set<String> = []
    /// The facilities with an accrual in the file (its interest needs their principal by day).
    public private(set) var accruing: Set<String> = []
    /// `FUND|CURRENCY` of the events that name a fund and a currency and no facility.
    public private(set) var funds: Set<String> = []

    public init() {}

    /// The keys of `events`.
    public init<S: Sequence>(_ events: S) where S.Element == Event {
        for event in events { add(event) }
    }

    public mutating func add(_ event: Event) {
        if !ids.insert(event.id).inserted { repeated.insert(event.id) }
        if let id = event.facilityID {
            facilityIDs.insert(id)
            if event.type == .accrue { accruing.insert(id) }
        } else if let fund = event.fund, let currency = event.currency {
            funds.insert("\(fund)|\(currency.code)")
        }
    }
}
