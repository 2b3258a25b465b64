import Dates
import Ledger

/// A CSV statement (DESIGN.md §5): `date, amount, reference, description[, balance]`, the amount
/// signed from the account holder's view. Opening = first balance − first amount and closing = last
/// balance, or `opening`/`closing` given when there is no balance column. Other banks' layouts are
/// read through a `Layout` naming their columns: a signed amount, or debit and credit columns.
public enum CSVStatement {
    /// Which columns hold what. Other columns of the file are ignored when the layout is not the
    /// default one (a bank's export carries columns a statement does not need).
    public struct Layout: Sendable, Equatable {
        public enum Amount: Sendable, Equatable {
            /// One signed column: a receipt positive, a payment negative.
            case signed(String)
            /// Two unsigned columns, one of them filled per row: money out, money in.
            case debitCredit(debit: String, credit: String)
        }
        public var date: String
        public var amount: Amount
        public var reference: String
        public var description: String
        public var balance: String?

        public init(date: String = "date", amount: Amount = .signed("amount"), reference: String = "reference", description: String = "description", balance: String? = "balance") {
            self.date = date
            self.amount = amount
            self.reference = reference
            self.description = description
            self.balance = balance
        }

        /// DESIGN.md §5's columns.
        public static let standard = Layout()

        /// Parses `date=Booking Date,debit=Out,credit=In,reference=Ref,description=Text[,balance=Bal]`
        /// (or `amount=…` for a signed column); nil when a role is missing or unknown.
        public init?(mapping: String) {
            var roles: [String: String] = [:]
            for part in mapping.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
                guard pair.count == 2, !pair[1].isEmpty, ["date", "amount", "debit", "credit", "reference", "description", "balance"].contains(pair[0]),
                    roles[pair[0]] == nil
                else { return nil }
                roles[pair[0]] = pair[1]
            }
            guard let date = roles["date"], let reference = roles["reference"], let description = roles["description"] else { return nil }
            let amount: Amount
            switch (roles["amount"], roles["debit"], roles["credit"]) {
            case (let signed?, nil, nil): amount = .signed(signed)
            case (nil, let debit?, let credit?): amount = .debitCredit(debit: debit, credit: credit)
            default: return nil
            }
            self.init(date: date, amount: amount, reference: reference, description: description, balance: roles["balance"])
        }

        var required: [String] {
            switch amount {
            case .signed(let column): [date, column, reference, description]
            case .debitCredit(let debit, let credit): [date, debit, credit, reference, description]
            }
        }
    }

    /// The statement in `bytes`, checked: every row's date, amount and (if present) running
    /// balance; opening + Σ items = closing. `currency` gives the amounts' digits.
    public static func read(
        _ bytes: [UInt8], file: String, layout: Layout = .standard, currency: Currency = .usd, opening: Int64? = nil, closing: Int64? = nil
    ) throws(InputError) -> BankStatement {
        let optional = layout.balance.map { [$0] } ?? []
        let table = try CSVTable(bytes, file: file, required: layout.required, optional: optional, ignoringOtherColumns: layout != .standard)
        let hasBalance = layout.balance.map(table.hasColumn) ?? false
        if hasBalance && (opening != nil || closing != nil) {
            throw InputError(file: file, field: "--opening/--closing", value: "", reason: "the file has a balance column: the balances come from it")
        }
        if !hasBalance && (opening == nil || closing == nil) {
            throw InputError(file: file, field: "balance", value: "", reason: "no balance column: give the opening and closing balances (--opening, --closing)")
        }
        var items: [BankStatement.Item] = []
        var balances: [Int64] = []
        for record in table.records {
            let location = "row \(record.row)"
            func field(_ column: String) -> String { table.value(record, column).trimmingSpaces }
            func money(_ column: String, allowEmpty: Bool = false) throws(InputError) -> Int64? {
                let text = field(column)
                if text.isEmpty && allowEmpty { return nil }
                do { return try Money(parsing: text, currency: currency).minorUnits } catch {
                    throw InputError(file: file, location: location, field: column, value: text, reason: "not an amount in \(currency.code) (at most \(currency.minorUnits) decimal places)")
                }
            }
            guard let date = CivilDate(iso: field(layout.date)) else {
                throw InputError(file: file, location: location, field: layout.date, value: field(layout.date), reason: "not a date in YYYY-MM-DD form")
            }
            let amount: Int64
            switch layout.amount {
            case .signed(let column):
                amount = try money(column)!
            case .debitCredit(let debitColumn, let creditColumn):
                let debit = try money(debitColumn, allowEmpty: true)
                let credit = try money(creditColumn, allowEmpty: true)
                switch (debit, credit) {
                case (let d?, nil) where d >= 0: amount = -d
                case (nil, let c?) where c >= 0: amount = c
                default:
                    throw InputError(
                        file: file, location: location, field: "\(debitColumn)/\(creditColumn)", value: "\(field(debitColumn))/\(field(creditColumn))",
                        reason: "exactly one of the two must hold an amount, not negative")
                }
            }
            if hasBalance, let column = layout.balance { balances.append(try money(column)!) }
            items.append(BankStatement.Item(date: date, amount: amount, reference: field(layout.reference), description: field(layout.description), location: location))
        }
        guard !items.isEmpty else { throw InputError(file: file, field: "rows", value: "", reason: "the statement has no items") }
        var statementOpening = opening ?? 0
        var statementClosing = closing ?? 0
        if hasBalance {
            statementOpening = balances[0] - items[0].amount
            statementClosing = balances[balances.count - 1]
            // Each running balance is the one before plus the row's amount: a row off by any amount
            // is named, not only the total.
            var running = statementOpening
            for (item, balance) in zip(items, balances) {
                let (next, overflow) = running.addingReportingOverflow(item.amount)
                guard !overflow else { throw InputError(file: file, location: item.location, field: "amount", value: "", reason: "the running balance overflows 64-bit minor units") }
                running = next
                guard running == balance else {
                    throw InputError(
                        file: file, location: item.location, field: layout.balance ?? "balance", value: Money(minorUnits: balance, currency: currency).formatted,
                        reason: "the running balance should be \(Money(minorUnits: running, currency: currency).formatted) (the balance before plus this row's amount)")
                }
            }
        }
        let sha = AuditChain.sha256Hex(bytes)
        let statement = BankStatement(
            id: "csv-" + sha.prefix(16), format: .csv, bankAccount: "", currency: currency, opening: statementOpening, closing: statementClosing,
            items: items, sha256: sha)
        try statement.checkRollForward(file: file)
        return statement
    }
}
