import Dates
import Foundation

/// Bad input in a file: names the file, where in it, the field and the value.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// "line 3" for a JSON line, "row 7" for CSV; empty for the whole file.
    public var location: String
    public var field: String
    public var value: String
    public var reason: String

    public init(file: String, location: String = "", field: String, value: String, reason: String) {
        self.file = file
        self.location = location
        self.field = field
        self.value = value
        self.reason = reason
    }

    public var description: String {
        let value = self.value.count > 80 ? String(self.value.prefix(80)) + "…" : self.value
        return "\(file)\(location.isEmpty ? "" : ", \(location)"): \(field)\(value.isEmpty ? "" : " \"\(value)\""): \(reason)"
    }
}

/// The `post ENTRY.json` format (DESIGN.md §5):
/// `{"event_id", "date", "description", "lines": [{"account", "fund", "facility"?, "side", "amount", "currency"}]}`.
/// Amounts are decimal strings, never JSON numbers (which would pass through binary floating point).
public enum EntryFile {
    /// The largest entry file accepted.
    public static let bytesMax = 1 << 20

    public static func parse(_ data: Data, file: String) throws(InputError) -> NewEntry {
        guard data.count <= bytesMax else {
            throw InputError(file: file, field: "file", value: "", reason: "larger than \(bytesMax) bytes")
        }
        guard String(data: data, encoding: .utf8) != nil else {
            throw InputError(file: file, field: "file", value: "", reason: "not valid UTF-8")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw InputError(file: file, field: "file", value: "", reason: "not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw InputError(file: file, field: "file", value: "", reason: "must be one JSON object")
        }
        let allowed: Set<String> = ["event_id", "date", "description", "lines"]
        if let extra = root.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw InputError(file: file, field: extra, value: "", reason: "unknown field; expected event_id, date, description, lines")
        }
        let eventID = try string(root, "event_id", file, "")
        let dateText = try string(root, "date", file, "")
        guard let date = CivilDate(iso: dateText) else {
            throw InputError(file: file, field: "date", value: dateText, reason: "not a calendar date in YYYY-MM-DD form")
        }
        let description = try string(root, "description", file, "", required: false) ?? ""
        guard let rawLines = root["lines"] as? [Any] else {
            throw InputError(file: file, field: "lines", value: "", reason: "must be an array of lines")
        }
        var lines: [JournalLine] = []
        for (i, raw) in rawLines.enumerated() {
            let at = "lines[\(i + 1)]"
            guard let line = raw as? [String: Any] else { throw InputError(file: file, location: at, field: "line", value: "", reason: "must be an object") }
            let lineFields: Set<String> = ["account", "fund", "facility", "side", "amount", "currency"]
            if let extra = line.keys.sorted().first(where: { !lineFields.contains($0) }) {
                throw InputError(file: file, location: at, field: extra, value: "", reason: "unknown field")
            }
            let sideText = try string(line, "side", file, at)
            guard let side = Side(rawValue: sideText) else {
                throw InputError(file: file, location: at, field: "side", value: sideText, reason: "must be debit or credit")
            }
            let currencyText = try string(line, "currency", file, at)
            guard let currency = Currency(code: currencyText) else {
                throw InputError(file: file, location: at, field: "currency", value: currencyText, reason: "not an ISO 4217 currency code")
            }
            let amountText = try string(line, "amount", file, at)
            let amount: Money
            do { amount = try Money(parsing: amountText, currency: currency) } catch {
                throw InputError(file: file, location: at, field: "amount", value: amountText, reason: error.reason)
            }
            guard amount.minorUnits > 0 else {
                throw InputError(file: file, location: at, field: "amount", value: amountText, reason: "must be positive; the side gives the direction")
            }
            lines.append(
                JournalLine(
                    account: try string(line, "account", file, at), fund: try string(line, "fund", file, at),
                    facility: try string(line, "facility", file, at, required: false), side: side, amount: amount))
        }
        return NewEntry(eventKey: eventID, effectiveDate: date, description: description, lines: lines)
    }

    private static func string(_ object: [String: Any], _ key: String, _ file: String, _ at: String, required: Bool = true) throws(InputError) -> String? {
        guard let value = object[key], !(value is NSNull) else {
            if required { throw InputError(file: file, location: at, field: key, value: "", reason: "is required") }
            return nil
        }
        guard let text = value as? String else {
            // The value is not echoed: a JSON number has already passed through binary floating point.
            let kind = value is NSNumber ? "number or boolean" : "array or object"
            throw InputError(file: file, location: at, field: key, value: "(a JSON \(kind))", reason: "must be a JSON string (amounts too, e.g. \"1250.00\")")
        }
        return text
    }

    private static func string(_ object: [String: Any], _ key: String, _ file: String, _ at: String) throws(InputError) -> String {
        try string(object, key, file, at, required: true)!
    }
}
