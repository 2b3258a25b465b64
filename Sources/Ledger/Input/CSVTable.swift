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

    /// Parses `bytes`; `required` columns must be present, `optional` ones may be; no others.
    public init(_ bytes: [UInt8], file: String, required: [String], optional: [String] = []) throws(InputError) {
        self.file = file
        var parsed = try Self.parse(bytes, file: file)
        guard !parsed.isEmpty else { throw InputError(file: file, field: "header", value: "", reason: "the file is empty: a header row is required") }
        let header = parsed.removeFirst()
        var index: [String: Int] = [:]
        for (i, raw) in header.fields.enumerated() {
            let name = raw.trimmingSpaces
            guard !name.isEmpty else { throw InputError(file: file, location: "row 1", field: "column \(i + 1)", value: raw, reason: "a column has no name") }
            guard index[name] == nil else { throw InputError(file: file, location: "row 1", field: name, value: raw, reason: "the column appears twice") }
            guard required.contains(name) || optional.contains(name) else {
                throw InputError(file: file, location: "row 1", field: name, value: raw, reason: "not a column of this file (expected: \((required + optional).joined(separator: ", ")))")
            }
            index[name] = i
        }
        for name in required where index[name] == nil {
            throw InputError(file: file, location: "row 1", field: name, value: "", reason: "the required column is missing")
        }
        for record in parsed where record.fields.count != header.fields.count {
            throw InputError(
                file: file, location: "row \(record.row)", field: "record", value: "\(record.fields.count) fields",
                reason: "the header has \(header.fields.count) columns")
        }
        self.columns = header.fields.map(\.trimmingSpaces)
        self.records = parsed
        self.index = index
    }

    /// The value of `column` in `record` ("" when the column is optional and absent).
    public func value(_ record: Record, _ column: String) -> String {
        guard let i = index[column] else { return "" }
        return record.fields[i]
    }

    public func hasColumn(_ column: String) -> Bool { index[column] != nil }

    static func parse(_ input: [UInt8], file: String) throws(InputError) -> [Record] {
        var bytes = input[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordStart = 1
        var i = bytes.startIndex
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        func text(_ b: [UInt8]) throws(InputError) -> String {
            guard let s = String(validating: b, as: UTF8.self) else {
                throw InputError(file: file, location: "row \(recordStart)", field: "column \(fields.count + 1)", value: "(bytes)", reason: "not valid UTF-8")
            }
            return s
        }
        func endRecord() throws(InputError) {
            fields.append(try text(field))
            field.removeAll(keepingCapacity: true)
            // A blank line is no record.
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(row: recordStart, fields: fields)) }
            fields.removeAll(keepingCapacity: true)
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
                // An empty quoted field must still count as a field.
                if field.isEmpty { field = [] }
                continue
            }
            switch b {
            case comma:
                fields.append(try text(field))
                field.removeAll(keepingCapacity: true)
            case cr:
                let next = bytes.index(after: i)
                if next < bytes.endIndex && bytes[next] == lf { i = next }
                try endRecord()
                line += 1
                recordStart = line
            case lf:
                try endRecord()
                line += 1
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
        if !field.isEmpty || !fields.isEmpty { try endRecord() }
        return records
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
