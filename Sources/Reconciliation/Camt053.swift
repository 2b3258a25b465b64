import Dates
import Foundation
import Ledger

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// ISO 20022 camt.053 (BankToCustomerStatement, .001.02 and later), read by a SAX parser (events,
/// not a document tree): per `Stmt`, its `Id`, the account (`Acct/Id/IBAN` or `Othr/Id`, `Ccy`),
/// the OPBD and CLBD balances, and each `Ntry`: `Amt@Ccy`, `CdtDbtInd`, booking date (else value
/// date), `NtryRef`, `AcctSvcrRef`, and its `TxDtls` with their `EndToEndId`. An entry with
/// several `TxDtls`, each with its own amount, is a batch: one item per transaction, whose amounts
/// must add up to the entry's. References: EndToEndId, else AcctSvcrRef, else NtryRef.
///
/// A DOCTYPE or an entity declaration is refused before parsing, never resolved (an XXE or
/// "billion laughs" file is bad input).
public enum Camt053 {
    public static func read(_ bytes: [UInt8], file: String) throws(InputError) -> [BankStatement] {
        if let declaration = forbiddenDeclaration(bytes) {
            throw InputError(file: file, field: "XML", value: declaration, reason: "a DOCTYPE or entity declaration is refused: a statement never needs one, and resolving it could read files or exhaust memory")
        }
        let collector = Collector(file: file, sha256: AuditChain.sha256Hex(bytes))
        // Fed as a stream, in chunks: given as one block of data, libxml2 refused documents over
        // ~10 MB (its look-ahead limit) as not well-formed. The stream reads the caller's bytes in
        // place (no copy of the file).
        let (parser, parsed) = bytes.withUnsafeBufferPointer { buffer in
            let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!), count: buffer.count, deallocator: .none)
            let parser = XMLParser(stream: InputStream(data: data))
            parser.shouldResolveExternalEntities = false
            parser.delegate = collector
            return (parser, parser.parse())
        }
        if let error = collector.error { throw error }
        guard parsed, collector.path.isEmpty else {
            if let open = collector.path.last, parsed {
                throw InputError(file: file, field: "XML", value: "<\(open)>", reason: "not well-formed XML: the file ends inside this element (truncated?)")
            }
            throw InputError(
                file: file, location: "line \(parser.lineNumber)", field: "XML", value: "",
                reason: "not well-formed XML (\(parser.parserError.map { String(describing: $0) } ?? "the parser stopped"))")
        }
        guard !collector.statements.isEmpty else {
            throw InputError(file: file, field: "BkToCstmrStmt/Stmt", value: "", reason: "no statement in the file (is it a camt.053?)")
        }
        for s in collector.statements { try s.checkRollForward(file: "\(file), statement \(s.id)") }
        return collector.statements
    }

    /// "<!DOCTYPE" or "<!ENTITY" anywhere in the bytes, any case.
    static func forbiddenDeclaration(_ bytes: [UInt8]) -> String? {
        for word in ["<!DOCTYPE", "<!ENTITY"] {
            let pattern = Array(word.utf8)
            if bytes.count >= pattern.count {
                for i in 0...(bytes.count - pattern.count) where bytes[i] == UInt8(ascii: "<") {
                    if zip(bytes[i..<(i + pattern.count)], pattern).allSatisfy({ $0 == $1 || $0 == $1 + 32 && $1 >= 65 && $1 <= 90 }) { return word }
                }
            }
        }
        return nil
    }

    /// The parser's delegate: keeps the path of open elements and what the statement needs.
    final class Collector: NSObject, XMLParserDelegate {
        let file: String
        let sha256: String
        var statements: [BankStatement] = []
        var error: InputError?

        var path: [String] = []
        var text = ""
        var amountCurrency = ""

        struct Transaction { var endToEnd = "", amount = "", currency = "" }
        struct Entry {
            var amount = "", currency = "", indicator = "", bookingDate = "", valueDate = "", entryRef = "", servicerRef = "", info = ""
            var transactions: [Transaction] = []
            var line = 0
        }
        struct Balance { var code = "", amount = "", currency = "", indicator = "" }
        struct Current {
            var id = "", account = "", currency = "", from = "", to = ""
            var balances: [Balance] = []
            var entries: [Entry] = []
            var line = 0
        }
        var statement: Current?
        var entry: Entry?
        var balance: Balance?
        var transaction: Transaction?

        init(file: String, sha256: String) {
            self.file = file
            self.sha256 = sha256
        }

        func fail(_ parser: XMLParser, _ field: String, _ value: String, _ reason: String) {
            guard error == nil else { return }
            error = InputError(file: file, location: "line \(parser.lineNumber)", field: field, value: value, reason: reason)
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let local = name.split(separator: ":").last.map(String.init) ?? name
            path.append(local)
            text = ""
            switch local {
            case "Stmt" where path.suffix(2) == ["BkToCstmrStmt", "Stmt"]: statement = Current(line: parser.lineNumber)
            case "Bal" where statement != nil: balance = Balance()
            case "Ntry" where statement != nil: entry = Entry(line: parser.lineNumber)
            case "TxDtls" where entry != nil: transaction = Transaction()
            case "Amt": amountCurrency = attributes["Ccy"] ?? ""
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let local = path.last ?? name
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parent = path.dropLast().last ?? ""
            let grandparent = path.dropLast(2).last ?? ""
            defer {
                path.removeLast()
                text = ""
            }
            if transaction != nil {
                switch local {
                case "EndToEndId": transaction!.endToEnd = value
                case "Amt": (transaction!.amount, transaction!.currency) = (value, amountCurrency)
                case "TxDtls":
                    entry?.transactions.append(transaction!)
                    transaction = nil
                default: break
                }
                return
            }
            if entry != nil {
                switch (local, parent) {
                case ("Amt", "Ntry"): (entry!.amount, entry!.currency) = (value, amountCurrency)
                case ("CdtDbtInd", "Ntry"): entry!.indicator = value
                case ("Dt", "BookgDt"), ("DtTm", "BookgDt"): entry!.bookingDate = String(value.prefix(10))
                case ("Dt", "ValDt"), ("DtTm", "ValDt"): entry!.valueDate = String(value.prefix(10))
                case ("NtryRef", "Ntry"): entry!.entryRef = value
                case ("AcctSvcrRef", "Ntry"): entry!.servicerRef = value
                case ("AddtlNtryInf", "Ntry"): entry!.info = value
                case ("Ntry", _):
                    statement?.entries.append(entry!)
                    entry = nil
                default: break
                }
                return
            }
            if balance != nil {
                switch (local, parent) {
                case ("Cd", "CdOrPrtry"): balance!.code = value
                case ("Amt", "Bal"): (balance!.amount, balance!.currency) = (value, amountCurrency)
                case ("CdtDbtInd", "Bal"): balance!.indicator = value
                case ("Bal", _):
                    statement?.balances.append(balance!)
                    balance = nil
                default: break
                }
                return
            }
            guard statement != nil else { return }
            switch (local, parent, grandparent) {
            case ("Id", "Stmt", _): statement!.id = value
            case ("IBAN", "Id", "Acct"): statement!.account = value
            case ("Id", "Othr", "Id") where path.dropLast(3).last == "Acct": statement!.account = value
            case ("Ccy", "Acct", _): statement!.currency = value
            case ("FrDtTm", "FrToDt", _): statement!.from = String(value.prefix(10))
            case ("ToDtTm", "FrToDt", _): statement!.to = String(value.prefix(10))
            case ("Stmt", _, _):
                if let done = finish(statement!, parser) { statements.append(done) }
                statement = nil
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
            fail(parser, "XML", name, "an entity declaration is refused")
        }

        func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
            fail(parser, "XML", name, "an external entity is refused, never resolved")
        }

        /// The statement, its amounts in minor units, or nil after recording why not.
        func finish(_ s: Current, _ parser: XMLParser) -> BankStatement? {
            /// Records the first reason the statement is refused (at `line`, else the statement's line).
            func refuse(_ field: String, _ value: String, _ reason: String, line: Int? = nil) {
                if error == nil { error = InputError(file: file, location: "line \(line ?? s.line)", field: field, value: value, reason: reason) }
            }
            func reject(_ field: String, _ value: String, _ reason: String, line: Int? = nil) -> BankStatement? {
                refuse(field, value, reason, line: line)
                return nil
            }
            guard !s.id.isEmpty else { return reject("Stmt/Id", "", "the statement has no Id") }
            let code = s.currency.isEmpty ? (s.balances.first?.currency ?? "") : s.currency
            guard let currency = Currency(code: code) else { return reject("Acct/Ccy", code, "not an ISO 4217 currency") }
            func money(_ text: String, _ ccy: String, _ indicator: String, _ field: String, line: Int) -> Int64? {
                guard ccy.isEmpty || ccy == currency.code else {
                    refuse(field, ccy, "an amount in another currency than the statement's \(currency.code)")
                    return nil
                }
                guard let minor = try? Money(parsing: text, currency: currency).minorUnits, minor >= 0 else {
                    refuse(field, text, "not an amount in \(currency.code)", line: line)
                    return nil
                }
                switch indicator {
                case "CRDT": return minor
                case "DBIT": return -minor
                default:
                    refuse("CdtDbtInd", indicator, "must be CRDT or DBIT", line: line)
                    return nil
                }
            }
            func balance(_ code: String) -> Int64? {
                guard let b = s.balances.first(where: { $0.code == code }) else { return nil }
                return money(b.amount, b.currency, b.indicator, "Bal \(code)/Amt", line: s.line)
            }
            guard let opening = balance("OPBD"), let closing = balance("CLBD") else {
                return reject("Bal", "", "the statement needs its OPBD (opening booked) and CLBD (closing booked) balances")
            }
            var stated: ClosedRange<CivilDate>?
            if !s.from.isEmpty || !s.to.isEmpty {
                guard let from = CivilDate(iso: s.from), let to = CivilDate(iso: s.to), from <= to else {
                    return reject("Stmt/FrToDt", "\(s.from)..\(s.to)", "the statement's period needs a FrDtTm on or before its ToDtTm")
                }
                stated = from...to
            }
            var items: [BankStatement.Item] = []
            for e in s.entries {
                guard let amount = money(e.amount, e.currency, e.indicator, "Ntry/Amt", line: e.line) else { return nil }
                let dateText = e.bookingDate.isEmpty ? e.valueDate : e.bookingDate
                guard let date = CivilDate(iso: dateText) else {
                    return reject("Ntry/BookgDt", dateText, "the entry needs a booking or value date", line: e.line)
                }
                let fallback = e.servicerRef.isEmpty ? e.entryRef : e.servicerRef
                let priced = e.transactions.filter { !$0.amount.isEmpty }
                if e.transactions.count > 1 && priced.count == e.transactions.count {
                    // A batch: one item per transaction, adding up to the entry.
                    var sum: Int64 = 0
                    for t in priced {
                        guard let part = money(t.amount, t.currency, e.indicator, "TxDtls/Amt", line: e.line) else { return nil }
                        let (next, overflow) = sum.addingReportingOverflow(part)
                        guard !overflow else { return reject("NtryDtls/TxDtls", e.amount, "the batch's amounts overflow 64-bit minor units") }
                        sum = next
                        items.append(
                            BankStatement.Item(date: date, amount: part, reference: t.endToEnd.isEmpty ? fallback : t.endToEnd, description: e.info, bankReference: fallback, location: "line \(e.line)"))
                    }
                    guard sum == amount else {
                        return reject(
                            "NtryDtls/TxDtls", e.amount, "the batch's transactions add up to \(Money(minorUnits: sum, currency: currency).formatted), not the entry's amount", line: e.line)
                    }
                } else {
                    let endToEnd = e.transactions.first?.endToEnd ?? ""
                    items.append(
                        BankStatement.Item(date: date, amount: amount, reference: endToEnd.isEmpty || endToEnd == "NOTPROVIDED" ? fallback : endToEnd, description: e.info, bankReference: fallback, location: "line \(e.line)"))
                }
            }
            return BankStatement(id: s.id, format: .camt053, bankAccount: s.account, currency: currency, opening: opening, closing: closing, items: items, sha256: sha256, statedPeriod: stated)
        }
    }
}
