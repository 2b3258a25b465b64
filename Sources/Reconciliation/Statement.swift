import Dates
import Ledger

extension BankStatement {
    /// Refuses a statement whose items do not take the opening balance to the closing one, naming
    /// the difference in the statement's currency.
    func checkRollForward(file: String) throws(InputError) {
        func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).formatted }
        switch RollForward.check(openingMinorUnits: opening, entriesMinorUnits: items.map(\.amount), closingMinorUnits: closing) {
        case .balanced: return
        case .difference(let d):
            throw InputError(
                file: file, field: "closing balance", value: money(closing),
                reason: "the statement does not roll forward: opening \(money(opening)) + items \(money(closing + d - opening)) = \(money(closing + d)), \(money(d)) \(d > 0 ? "more" : "less") than the closing balance (\(currency.code))")
        case .overflow:
            throw InputError(file: file, field: "items", value: "", reason: "the amounts overflow 64-bit minor units")
        }
    }
}

/// Reads a statement file in any of the formats, detected from its first bytes when not given.
public enum StatementReader {
    /// The format a file's content shows: BAI2 starts with a `01,` record, camt.053 is XML, and
    /// anything else is taken for CSV (whose header the CSV reader then checks).
    public static func detect(_ bytes: [UInt8]) -> BankStatement.Format {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var i = start
        while i < bytes.count, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[i]) { i += 1 }
        let head = bytes[i..<min(bytes.count, i + 3)]
        if head.elementsEqual("01,".utf8) { return .bai2 }
        if head.first == UInt8(ascii: "<") { return .camt053 }
        return .csv
    }
}
