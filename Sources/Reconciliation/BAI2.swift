import Dates
import Ledger

/// BAI2 (the Cash Management Balance Reporting Specification, version 2): records 01 file header,
/// 02 group header, 03 account identifier with summaries, 16 transaction detail, 88 continuation,
/// 49 account trailer, 98 group trailer, 99 file trailer. Amounts are in minor units; every
/// control total and record count is checked. One statement per account (03 … 49): opening ledger
/// (summary 010) + Σ details = closing ledger (015).
///
/// An item's sign comes from its type code (100–399 credit, positive; 400–699 debit, negative);
/// its date is its value date when its funds type is `V`, else the group's as-of date; its
/// reference is the customer reference, else the bank reference (DESIGN.md §5).
public enum BAI2 {
    /// A logical record: a physical record with its 88 continuations joined.
    struct Record {
        var type: String
        var fields: [String]
        /// The physical line it starts on.
        var line: Int
        /// Physical records it spans (itself and its 88s).
        var physical: Int
        /// A 16's text continued by its 88s.
        var continuation: [String] = []
    }

    public static func read(_ bytes: [UInt8], file: String) throws(InputError) -> [BankStatement] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(file: file, field: "file", value: "", reason: "not valid UTF-8 (BAI2 is ASCII)")
        }
        let records = try logicalRecords(text, file: file)
        let sha = AuditChain.sha256Hex(bytes)
        var parser = Parser(file: file, records: records)
        return try parser.file(sha256: sha)
    }

    /// Splits the file into records and joins each 88 to the record it continues.
    static func logicalRecords(_ text: String, file: String) throws(InputError) -> [Record] {
        var records: [Record] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " }) { continue }
            let number = i + 1
            // A record ends at its "/"; a 16's text runs to the end of the line and may hold
            // commas and slashes, so only a final "/" is taken off.
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let type = fields.removeFirst().trimmingSpaces
            if let last = fields.last, last.hasSuffix("/") { fields[fields.count - 1] = String(last.dropLast()) }
            guard ["01", "02", "03", "16", "88", "49", "98", "99"].contains(type) else {
                throw InputError(file: file, location: "line \(number)", field: "record type", value: type, reason: "not a BAI2 record type (01, 02, 03, 16, 88, 49, 98, 99)")
            }
            if type == "88" {
                guard var previous = records.popLast(), !["49", "98", "99"].contains(previous.type) else {
                    throw InputError(file: file, location: "line \(number)", field: "record type", value: "88", reason: "a continuation must follow the record it continues")
                }
                // A 16's text continues its text; any other record continues with more fields.
                if previous.type == "16" {
                    previous.continuation.append(fields.joined(separator: ",").trimmingSpaces)
                } else {
                    previous.fields += fields
                }
                previous.physical += 1
                records.append(previous)
            } else {
                records.append(Record(type: type, fields: fields, line: number, physical: 1))
            }
        }
        return records
    }

    struct Parser {
        let file: String
        let records: [Record]
        var index = 0

        init(file: String, records: [Record]) {
            self.file = file
            self.records = records
        }

        func fail(_ record: Record, _ field: String, _ value: String, _ reason: String) -> InputError {
            InputError(file: file, location: "line \(record.line)", field: field, value: value, reason: reason)
        }

        mutating func next(_ expected: String, after what: String) throws(InputError) -> Record {
            guard index < records.count else {
                throw InputError(file: file, field: "file", value: "", reason: "ends before its \(what) (record \(expected)): the file is truncated")
            }
            let record = records[index]
            guard record.type == expected else { throw fail(record, "record type", record.type, "expected record \(expected) (\(what)) here") }
            index += 1
            return record
        }

        func field(_ r: Record, _ i: Int, _ name: String) -> String { i < r.fields.count ? r.fields[i].trimmingSpaces : "" }

        /// An amount field: digits in minor units, an optional sign (summaries only); nil when empty.
        func amount(_ r: Record, _ i: Int, _ name: String, signed: Bool = false) throws(InputError) -> Int64? {
            let text = field(r, i, name)
            if text.isEmpty { return nil }
            var body = Substring(text)
            var negative = false
            if signed, let first = body.first, first == "+" || first == "-" {
                negative = first == "-"
                body = body.dropFirst()
            }
            guard !body.isEmpty, body.allSatisfy(\.isASCII), body.allSatisfy(\.isNumber), let value = Int64(body) else {
                throw fail(r, name, text, "not an amount in minor units (digits\(signed ? ", an optional sign" : ""))")
            }
            return negative ? -value : value
        }

        func count(_ r: Record, _ i: Int, _ name: String) throws(InputError) -> Int {
            let text = field(r, i, name)
            guard let n = Int(text), n >= 0 else { throw fail(r, name, text, "not a count") }
            return n
        }

        func date(_ r: Record, _ i: Int, _ name: String) throws(InputError) -> CivilDate {
            let text = field(r, i, name)
            guard text.count == 6, text.allSatisfy(\.isNumber), let yy = Int(text.prefix(2)), let mm = Int(text.dropFirst(2).prefix(2)),
                let dd = Int(text.suffix(2)), let date = CivilDate(year: 2000 + yy, month: mm, day: dd)
            else { throw fail(r, name, text, "not a date in YYMMDD form") }
            return date
        }

        /// How many fields a funds type takes after it (`fundsAt` is the funds type's index).
        func fundsFields(_ r: Record, _ fundsAt: Int) throws(InputError) -> Int {
            let funds = field(r, fundsAt, "funds type")
            switch funds {
            case "", "Z", "0", "1", "2": return 0
            case "V": return 2
            case "S": return 3
            case "D":
                let n = try count(r, fundsAt + 1, "distribution count")
                return 1 + 2 * n
            default: throw fail(r, "funds type", funds, "not a BAI2 funds type (Z, 0, 1, 2, V, S, D)")
            }
        }

        mutating func file(sha256: String) throws(InputError) -> [BankStatement] {
            let header = try next("01", after: "file header")
            let fileID = field(header, 4, "file identification number")
            guard !fileID.isEmpty else { throw fail(header, "file identification number", "", "the file header names no file id") }
            var statements: [BankStatement] = []
            var groups = 0
            var total: Int64 = 0
            var physical = header.physical
            while index < records.count, records[index].type == "02" {
                let group = try self.group(fileID: fileID, sha256: sha256)
                statements += group.statements
                total = try add(total, group.total, records[index - 1], "file control total")
                physical += group.physical
                groups += 1
            }
            try trailer("99", of: "file", total: total, parts: ("group", groups), physical: physical)
            if index < records.count { throw fail(records[index], "record type", records[index].type, "a record after the file trailer") }
            return statements
        }

        mutating func group(fileID: String, sha256: String) throws(InputError) -> (statements: [BankStatement], total: Int64, physical: Int) {
            let header = try next("02", after: "group header")
            let asOf = try date(header, 3, "as-of date")
            let groupCurrency = field(header, 5, "currency code")
            var statements: [BankStatement] = []
            var total: Int64 = 0
            var physical = header.physical
            var accounts = 0
            while index < records.count, records[index].type == "03" {
                let account = try self.account(fileID: fileID, asOf: asOf, groupCurrency: groupCurrency, sha256: sha256)
                statements.append(account.statement)
                total = try add(total, account.total, records[index - 1], "group control total")
                physical += account.physical
                accounts += 1
            }
            physical += try trailer("98", of: "group", total: total, parts: ("account", accounts), physical: physical)
            return (statements, total, physical)
        }

        mutating func account(fileID: String, asOf: CivilDate, groupCurrency: String, sha256: String) throws(InputError) -> (statement: BankStatement, total: Int64, physical: Int) {
            let identifier = try next("03", after: "account identifier")
            let number = field(identifier, 0, "customer account number")
            guard !number.isEmpty else { throw fail(identifier, "customer account number", "", "the account has no number") }
            let code = field(identifier, 1, "currency code").isEmpty ? (groupCurrency.isEmpty ? "USD" : groupCurrency) : field(identifier, 1, "currency code")
            guard let currency = Currency(code: code) else { throw fail(identifier, "currency code", code, "not an ISO 4217 currency") }
            var total: Int64 = 0
            var opening: Int64?
            var closing: Int64?
            // Summaries: type code, amount, item count, funds type (and its fields), repeated.
            var i = 2
            while i < identifier.fields.count {
                let type = field(identifier, i, "type code")
                // Some banks end a group with one comma more than its fields ("015,35217175,,,/").
                if type.isEmpty {
                    i += 1
                    continue
                }
                let value = try amount(identifier, i + 1, "amount of summary \(type)", signed: true)
                if let value {
                    total = try add(total, value, identifier, "account control total")
                    if type == "010" { opening = value }
                    if type == "015" { closing = value }
                }
                i += 4 + (try fundsFields(identifier, i + 3))
            }
            guard let opening, let closing else {
                throw fail(identifier, "summaries", "", "the account needs its opening ledger (010) and closing ledger (015) balances")
            }
            var items: [BankStatement.Item] = []
            var physical = identifier.physical
            while index < records.count, records[index].type == "16" {
                let detail = records[index]
                index += 1
                physical += detail.physical
                let type = field(detail, 0, "type code")
                guard let code = Int(type), (100...699).contains(code) else {
                    throw fail(detail, "type code", type, "not a credit (100–399) or debit (400–699) transaction type")
                }
                guard let value = try amount(detail, 1, "amount") else { throw fail(detail, "amount", "", "a transaction needs an amount") }
                total = try add(total, value, detail, "account control total")
                let extra = try fundsFields(detail, 2)
                var date = asOf
                if field(detail, 2, "funds type") == "V" { date = try self.date(detail, 3, "value date") }
                let bankReference = field(detail, 3 + extra, "bank reference")
                let customerReference = field(detail, 4 + extra, "customer reference")
                let own = 5 + extra < detail.fields.count ? detail.fields[(5 + extra)...].joined(separator: ",").trimmingSpaces : ""
                let text = ([own] + detail.continuation).filter { !$0.isEmpty }.joined(separator: " ")
                items.append(
                    BankStatement.Item(
                        date: date, amount: code < 400 ? value : -value, reference: customerReference.isEmpty ? bankReference : customerReference,
                        description: text, bankReference: bankReference, location: "line \(detail.line)"))
            }
            physical += try trailer("49", of: "account", total: total, parts: nil, physical: physical)
            let statement = BankStatement(
                id: "bai2-\(fileID)-\(number)-\(asOf)", format: .bai2, bankAccount: number, currency: currency, opening: opening, closing: closing,
                items: items, sha256: sha256, statedPeriod: asOf...asOf)
            try statement.checkRollForward(file: "\(file), account \(number)")
            return (statement, total, physical)
        }

        func add(_ a: Int64, _ b: Int64, _ r: Record, _ what: String) throws(InputError) -> Int64 {
            let (sum, overflow) = a.addingReportingOverflow(b)
            guard !overflow else { throw fail(r, what, "", "overflows 64-bit minor units") }
            return sum
        }

        /// Reads the trailer of a file (99), group (98) or account (49) and checks it: its control
        /// total is the sum of the amounts it covers, it counts the groups or accounts inside
        /// (`parts`), and the physical records from its header to itself. Returns its own records.
        @discardableResult
        mutating func trailer(_ type: String, of what: String, total: Int64, parts: (name: String, count: Int)?, physical before: Int) throws(InputError) -> Int {
            let trailer = try next(type, after: "\(what) trailer")
            let name = "\(what) control total"
            // Some banks leave the total blank when it is zero.
            guard try amount(trailer, 0, name, signed: true) ?? 0 == total else {
                throw fail(trailer, name, field(trailer, 0, name), "the amounts it covers sum to \(total) (minor units): the control total does not tie")
            }
            var i = 1
            if let parts {
                guard try count(trailer, i, "number of \(parts.name)s") == parts.count else {
                    throw fail(trailer, "number of \(parts.name)s", field(trailer, i, ""), "the \(what) holds \(parts.count) \(parts.name)\(parts.count == 1 ? "" : "s")")
                }
                i += 1
            }
            let physical = before + trailer.physical
            guard try count(trailer, i, "number of records") == physical else {
                throw fail(
                    trailer, "number of records", field(trailer, i, ""),
                    "the \(what) holds \(physical) records" + (type == "49" ? " (03, 16, 88 and 49)" : ""))
            }
            return trailer.physical
        }
    }
}
