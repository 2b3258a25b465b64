/// A strict RFC 4180 reader for input files (facilities, events, rates): a header row, then
/// records with exactly the header's number of fields. Quoted fields may hold commas, quotes (as
/// `""`) and line breaks; CRLF or LF line ends; a UTF-8 byte-order mark is skipped. Anything else —
/// an unterminated quote, text after a closing quote, a short or long record, a blank, duplicate
/// or unknown column — is an `InputError` naming the file, the row (the file line the record starts
/// on, as a spreadsheet numbers rows: the header is row 1) and the column.
public struct CSVTable: Sendable {
    public struct Record: Sendable {
        /// The line the record starts on (the header is row 1).
        public var row: Int
        public var fields: [String]
    }

    public let file: String
    public let columns: [String]
    public let records: [Record]
    private let index: [String: Int]

    /// Parses `bytes`; `required` columns must be present, `optional` ones may be; no others,
    /// unless `ignoringOtherColumns` (a bank's export with columns this file does not use).
    public init(_ bytes: [UInt8], file: String, required: [String], optional: [String] = [], ignoringOtherColumns: Bool = false) throws(InputError) {
        let reader = try CSVReader(bytes, file: file, required: required, optional: optional, ignoringOtherColumns: ignoringOtherColumns)
        var records: [Record] = []
        do {
            try reader.forEachRecord { record, _ in
                records.append(record)
                return true
            }
        } catch let error as InputError {
            throw error
        } catch {
            preconditionFailure("only the reader throws here: \(error)")
        }
        self.file = file
        self.columns = reader.columns
        self.records = records
        self.index = reader.index
    }

    /// The value of `column` in `record` ("" when the column is optional and absent).
    public func value(_ record: Record, _ column: String) -> String {
        guard let i = index[column] else { return "" }
        return record.fields[i]
    }

    public func hasColumn(_ column: String) -> Bool { index[column] != nil }
}

/// The same reader, one record at a time: the header is checked when it is made, records are
/// parsed as they are asked for (each with the byte offset it starts at, to read it again), so a
/// large file never has every record in memory at once.
public struct CSVReader: Sendable {
    public let file: String
    public let columns: [String]
    let index: [String: Int]
    let bytes: [UInt8]
    /// Where the first record starts: its byte offset and its row.
    let start: (offset: Int, row: Int)

    public init(_ input: [UInt8], file: String, required: [String], optional: [String] = [], ignoringOtherColumns: Bool = false) throws(InputError) {
        self.file = file
        bytes = input
        let bom = input.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var header: CSVTable.Record?
        var next = (offset: bom, row: 1)
        try Self.scan(input, from: next.offset, row: 1, file: file) { record, _, end in
            header = record
            next = end
            return false
        }
        guard let header else { throw InputError(file: file, field: "header", value: "", reason: "the file is empty: a header row is required") }
        var index: [String: Int] = [:]
        for (i, raw) in header.fields.enumerated() {
            let name = raw.trimmingSpaces
            guard !name.isEmpty else { throw InputError(file: file, location: "row 1", field: "column \(i + 1)", value: raw, reason: "a column has no name") }
            guard index[name] == nil else { throw InputError(file: file, location: "row 1", field: name, value: raw, reason: "the column appears twice") }
            guard required.contains(name) || optional.contains(name) || ignoringOtherColumns else {
                throw InputError(file: file, location: "row 1", field: name, value: raw, reason: "not a column of this file (expected: \((required + optional).joined(separator: ", ")))")
            }
            index[name] = i
        }
        for name in required where index[name] == nil {
            throw InputError(file: file, location: "row 1", field: name, value: "", reason: "the required column is missing")
        }
        self.columns = header.fields.map(\.trimmingSpaces)
        self.index = index
        self.start = next
    }

    /// The value of `column` in `record` ("" when the column is optional and absent).
    public func value(_ record: CSVTable.Record, _ column: String) -> String {
        guard let i = index[column] else { return "" }
        return record.fields[i]
    }

    /// Calls `body` with each record after the header and the byte offset it starts at, in file
    /// order, until it returns false. A record without the header's number of fields is an error.
    public func forEachRecord(_ body: (CSVTable.Record, _ offset: Int) throws -> Bool) throws {
        try forEachRecord(from: start.offset, row: start.row, body)
    }

    /// The record that starts at `offset` (one `forEachRecord` gave, with its row).
    public func record(at offset: Int, row: Int) throws(InputError) -> CSVTable.Record? {
        var found: CSVTable.Record?
        try Self.scan(bytes, from: offset, row: row, file: file) { record, _, _ in
            found = record
            return false
        }
        if let found { try checkWidth(found) }
        return found
    }

    private func forEachRecord(from offset: Int, row: Int, _ body: (CSVTable.Record, _ offset: Int) throws -> Bool) throws {
        var failure: (any Error)?
        try Self.scan(bytes, from: offset, row: row, file: file) { record, at, _ in
            do {
                try checkWidth(record)
                return try body(record, at)
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }

    private func checkWidth(_ record: CSVTable.Record) throws(InputError) {
        guard record.fields.count == columns.count else {
            throw InputError(
                file: file, location: "row \(record.row)", field: "record", value: "\(record.fields.count) fields",
                reason: "the header has \(columns.count) columns")
        }
    }

    /// The parser: from byte `offset` (the start of a record on file line `row`), each record with
    /// its start offset and where the next one starts, until `body` returns false.
    static func scan(
        _ input: [UInt8], from offset: Int, row: Int, file: String,
        _ body: (CSVTable.Record, _ offset: Int, _ next: (offset: Int, row: Int)) throws(InputError) -> Bool
    ) throws(InputError) {
        let bytes = input[offset...]
        var fields: [String] = []
        var field: [UInt8] = []
        var line = row
        var recordStart = row
        var recordOffset = offset
        var i = bytes.startIndex
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        func text(_ b: [UInt8]) throws(InputError) -> String {
            guard let s = String(validating: b, as: UTF8.self) else {
                throw InputError(file: file, location: "row \(recordStart)", field: "column \(fields.count + 1)", value: "(bytes)", reason: "not valid UTF-8")
            }
            return s
        }
        /// Ends the record before `next`; false when `body` says stop.
        func endRecord(next: Int, nextRow: Int) throws(InputError) -> Bool {
            fields.append(try text(field))
            field.removeAll(keepingCapacity: true)
            // A blank line is no record.
            var go = true
            if !(fields.count == 1 && fields[0].isEmpty) {
                go = try body(CSVTable.Record(row: recordStart, fields: fields), recordOffset, (next, nextRow))
            }
            fields.removeAll(keepingCapacity: true)
            recordOffset = next
            return go
        }

        while i < bytes.endIndex {
            let b = bytes[i]
            if b == quote && field.isEmpty {
                // A quoted field: until the closing quote; "" is a quote.
                let opened = line
                i = bytes.index(after: i)
                var closed = false
                while i < bytes.endIndex {
                    let c = bytes[i]
                    if c == quote {
                        let next = bytes.index(after: i)
                        if next < bytes.endIndex && bytes[next] == quote {
                            field.append(quote)
                            i = bytes.index(after: next)
                            continue
                        }
                        closed = true
                        i = next
                        break
                    }
                    if c == lf { line += 1 }
                    field.append(c)
                    i = bytes.index(after: i)
                }
                guard closed else {
                    throw InputError(file: file, location: "row \(opened)", field: "column \(fields.count + 1)", value: String(decoding: field.prefix(40), as: UTF8.self), reason: "the quoted field is never closed")
                }
                if i < bytes.endIndex, ![comma, cr, lf].contains(bytes[i]) {
                    throw InputError(
                        file: file, location: "row \(recordStart)", field: "column \(fields.count + 1)", value: String(decoding: field, as: UTF8.self),
                        reason: "text follows the closing quote")
                }
                continue
            }
            switch b {
            case comma:
                fields.append(try text(field))
                field.removeAll(keepingCapacity: true)
            case cr, lf:
                if b == cr, bytes.index(after: i) < bytes.endIndex, bytes[bytes.index(after: i)] == lf { i = bytes.index(after: i) }
                line += 1
                guard try endRecord(next: bytes.index(after: i), nextRow: line) else { return }
                recordStart = line
            default:
                if b == quote {
                    throw InputError(
                        file: file, location: "row \(recordStart)", field: "column \(fields.count + 1)", value: String(decoding: field + [b], as: UTF8.self),
                        reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                field.append(b)
            }
            i = bytes.index(after: i)
        }
        if !field.isEmpty || !fields.isEmpty { _ = try endRecord(next: bytes.endIndex, nextRow: line) }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    public var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// An error about one record of an input file: where it is, and what is wrong with it.
public struct LocatedError: Error, CustomStringConvertible {
    public var file: String
    public var location: String
    public var underlying: any Error

    public init(file: String, location: String, underlying: any Error) {
        self.file = file
        self.location = location
        self.underlying = underlying
    }

    public var description: String { location.isEmpty ? "\(file): \(underlying)" : "\(file), \(location): \(underlying)" }
}
