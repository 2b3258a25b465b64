import Ledger

/// Plain-text accounting formats an auditor can load into other tools to cross-check the books.
public enum ExportFormat: String, Sendable, CaseIterable {
    case hledger
    case beancount
}

/// One posting account of the export: a ledger account in one fund, optionally for one facility.
public struct ExportAccount: Hashable, Sendable, Comparable {
    public var account: Account
    public var fund: String
    public var facility: String?

    public init(account: Account, fund: String, facility: String?) {
        self.account = account
        self.fund = fund
        self.facility = facility
    }

    public static func < (a: ExportAccount, b: ExportAccount) -> Bool {
        (a.account.number, a.fund, a.facility ?? "") < (b.account.number, b.fund, b.facility ?? "")
    }
}

/// Writes the journal as an hledger journal or a beancount ledger: every account and commodity
/// declared first (so `hledger -s` and `bean-check` accept the file), then every entry with its
/// lines, amounts exactly as the ledger holds them. The output depends only on the journal, so two
/// exports of the same books are byte for byte the same.
///
/// Account names: hledger `NUMBER:FUND[:FACILITY]`; beancount `ROOT:SET:NUMBER:FUND[:FACILITY]`,
/// where ROOT follows the account's type (assets, contra-assets → Assets; liabilities →
/// Liabilities; net position, financing sources → Equity; revenue, gains → Income; expenses,
/// losses → Expenses; budgetary and memorandum accounts by normal balance: debit → Assets, credit →
/// Liabilities), and a name part beancount would not accept is written `X-` + its characters with
/// anything but letters, digits and `-` as `-xHH` (the exact facility id is also kept as metadata).
public struct JournalExport: Sendable {
    public let format: ExportFormat
    private let accounts: [String: Account]

    public init(format: ExportFormat, accounts: [Account]) {
        self.format = format
        self.accounts = Dictionary(uniqueKeysWithValues: accounts.map { ($0.number, $0) })
    }

    /// The declarations: commodities with their minor units, then every posting account.
    public func header(currencies: [Currency], postingAccounts: [ExportAccount]) -> String {
        var out: String
        switch format {
        case .hledger:
            out = "; dfc-ledger journal export (hledger). Amounts are exact; check with: hledger -s -f FILE bal\n\n"
            for c in currencies.sorted(by: { $0.code < $1.code }) {
                out += "commodity 1000.\(String(repeating: "0", count: c.minorUnits)) \(c.code)\n"
            }
            out += "\n"
            for a in postingAccounts.sorted() {
                out += "account \(hledgerName(a))  ; \(a.account.title.replacingSemicolons) (\(a.account.set.rawValue), \(a.account.normalBalance.rawValue))\n"
            }
        case .beancount:
            out = "; dfc-ledger journal export (beancount). Amounts are exact; check with: bean-check FILE\n"
            out += "option \"title\" \"dfc-ledger\"\n"
            out += "option \"inferred_tolerance_default\" \"*:0\"\n\n"
            for c in currencies.sorted(by: { $0.code < $1.code }) {
                out += "1900-01-01 commodity \(c.code)\n  minor_units: \(c.minorUnits)\n"
            }
            out += "\n"
            for a in postingAccounts.sorted() {
                out += "1900-01-01 open \(beancountName(a))\n  title: \(quoted(a.account.title))\n"
            }
        }
        return out + "\n"
    }

    /// One entry, with its id, event key, recording facts and seal (if sealed) as metadata.
    public func entry(_ posted: PostedEntry, seal: (chainSeq: Int64, sha256: String)?) -> String {
        let e = posted.entry
        var out: String
        switch format {
        case .hledger:
            out = "\(e.effectiveDate) (\(posted.entryID)) \(e.description.replacingSemicolons)\n"
            out += "    ; event_id: \(e.eventKey.oneLine)\n"
            out += "    ; recorded: \(posted.recordedAt) by \(posted.recordedBy.oneLine)\n"
            if let r = e.reverses { out += "    ; reverses: \(r)\n" }
            if let seal { out += "    ; seal: \(seal.chainSeq):\(seal.sha256)\n" }
            for line in e.lines {
                out += "    \(hledgerName(exportAccount(line)))  \(signed(line)) \(line.amount.currency.code)\n"
            }
        case .beancount:
            out = "\(e.effectiveDate) * \(quoted(e.description))\n"
            out += "  entry_id: \(posted.entryID)\n  event_id: \(quoted(e.eventKey))\n"
            out += "  recorded_at: \(quoted(posted.recordedAt.description))\n  recorded_by: \(quoted(posted.recordedBy))\n"
            if let r = e.reverses { out += "  reverses: \(r)\n" }
            if let seal { out += "  seal: \(quoted("\(seal.chainSeq):\(seal.sha256)"))\n" }
            for line in e.lines {
                out += "  \(beancountName(exportAccount(line)))  \(signed(line)) \(line.amount.currency.code)\n"
                if let facility = line.facility { out += "    facility: \(quoted(facility))\n" }
            }
        }
        return out + "\n"
    }

    private func exportAccount(_ line: JournalLine) -> ExportAccount {
        // Every line's account is in the chart (a foreign key); the fallback only keeps this total.
        let account = accounts[line.account]
            ?? Account(number: line.account, title: line.account, set: .proprietary, type: "unknown", normalBalance: .debit)
        return ExportAccount(account: account, fund: line.fund, facility: line.facility)
    }

    private func signed(_ line: JournalLine) -> String {
        line.side == .debit ? line.amount.formatted : "-" + line.amount.formatted
    }

    func hledgerName(_ a: ExportAccount) -> String {
        ([a.account.number, a.fund] + (a.facility.map { [$0] } ?? [])).joined(separator: ":")
    }

    func beancountName(_ a: ExportAccount) -> String {
        let root: String
        switch (a.account.set, a.account.type) {
        case (.proprietary, "asset"), (.proprietary, "contra-asset"), (.proprietary, "asset-valuation"): root = "Assets"
        case (.proprietary, "liability"): root = "Liabilities"
        case (.proprietary, "revenue"), (.proprietary, "gain"): root = "Income"
        case (.proprietary, "expense"), (.proprietary, "loss"): root = "Expenses"
        case (.proprietary, _): root = "Equity"
        default: root = a.account.normalBalance == .debit ? "Assets" : "Liabilities"
        }
        let set = a.account.set.rawValue.prefix(1).uppercased() + a.account.set.rawValue.dropFirst()
        return ([root, set, a.account.number, a.fund] + (a.facility.map { [$0] } ?? [])).map(Self.beancountComponent).joined(separator: ":")
    }

    /// A name part as beancount accepts it: a capital letter or digit, then letters, digits, `-`.
    static func beancountComponent(_ part: String) -> String {
        func plain(_ c: Unicode.Scalar) -> Bool {
            ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "-"
        }
        guard let first = part.unicodeScalars.first, ("A"..."Z").contains(first) || ("0"..."9").contains(first),
            part.unicodeScalars.allSatisfy(plain)
        else {
            return "X-" + part.unicodeScalars.map { plain($0) ? String($0) : "-x" + String($0.value, radix: 16, uppercase: true) }.joined()
        }
        return part
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

extension String {
    /// On one line, for hledger's line-oriented comments.
    fileprivate var oneLine: String {
        String(map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    /// hledger ends a description at `;` (a comment follows): write `,` instead.
    fileprivate var replacingSemicolons: String {
        oneLine.replacingOccurrences(of: ";", with: ",")
    }
}
