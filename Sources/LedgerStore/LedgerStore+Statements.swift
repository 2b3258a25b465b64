import Dates
import Ledger
import Postgres

/// What storing a statement did.
public enum StatementStored: Sendable, Equatable {
    /// Stored now, with its items.
    case stored
    /// The same file was stored before (same id, same SHA-256): nothing written.
    case alreadyStored
}

extension LedgerStore {
    /// Stores a statement and its items once, reconciled to `account`, `fund` and its currency.
    /// The same statement again is a no-op; another file claiming its id (another SHA-256) is
    /// refused, naming both digests.
    public func storeStatement(_ s: BankStatement, account: String, fund: String, file: String) throws -> StatementStored {
        try connection.transaction { tx in try Self.insertStatement(s, account: account, fund: fund, file: file, tx) }
    }

    /// Stores a statement and the matches `match` finds among the ledger's open movements of its
    /// period (`BankStatement.period`), in one transaction: a statement is never stored without
    /// its matches. The same statement again writes nothing (`.alreadyStored`), and `match` is
    /// not called.
    public func storeStatement(
        _ s: BankStatement, account: String, fund: String, file: String, match: ([LedgerMovement]) -> [(itemNo: Int, entryIDs: [Int64], rule: String)]
    ) throws -> StatementStored {
        try connection.transaction { tx in
            guard try Self.insertStatement(s, account: account, fund: fund, file: file, tx) == .stored else { return .alreadyStored }
            guard let period = s.period else { return .stored }
            let open = try Self.movements(
                tx, account: account, fund: fund, currency: s.currency, from: period.lowerBound, to: period.upperBound, includingMatched: false)
            try Self.insertMatches(tx, statementID: s.id, match(open), reason: nil)
            return .stored
        }
    }

    static func insertStatement(_ s: BankStatement, account: String, fund: String, file: String, _ tx: Connection) throws -> StatementStored {
        do {
            if let stored = try tx.query("SELECT sha256, account, fund FROM ledger.bank_statement WHERE statement_id = \(s.id)").first {
                let sha: String = try stored.decode(at: 0)
                guard sha == s.sha256 else {
                    throw InputError(
                        file: file, field: "statement id", value: s.id,
                        reason: "a statement with this id was stored from another file (SHA-256 \(sha.prefix(12))…, this one \(s.sha256.prefix(12))…)")
                }
                guard try stored.decode(String.self, at: 1) == account, try stored.decode(String.self, at: 2) == fund else {
                    throw InputError(
                        file: file, field: "statement id", value: s.id,
                        reason: "this statement was stored for account \(try stored.decode(String.self, at: 1)) fund \(try stored.decode(String.self, at: 2))")
                }
                return .alreadyStored
            }
            try tx.execute(
                """
                INSERT INTO ledger.bank_statement (statement_id, format, bank_account, account, fund, currency, opening_minor, closing_minor,
                                                   first_day, last_day, sha256, file_name)
                VALUES (\(s.id), \(s.format.rawValue), \(s.bankAccount), \(account), \(fund), \(s.currency.code), \(s.opening), \(s.closing),
                        \(s.period?.lowerBound), \(s.period?.upperBound), \(s.sha256), \(file))
                """)
            // The items as arrays, one statement for all of them.
            try tx.execute(
                """
                INSERT INTO ledger.bank_statement_item (statement_id, item_no, item_date, amount_minor, reference, description, bank_reference, location)
                SELECT \(s.id), n, d, a, r, t, b, l
                  FROM unnest(\(Self.raw(s.items.map(\.date.description)))::date[], \(Self.raw(s.items.map { String($0.amount) }))::bigint[],
                              \(ArrayLiteral(s.items.map(\.reference)).literal)::text[], \(ArrayLiteral(s.items.map(\.description)).literal)::text[],
                              \(ArrayLiteral(s.items.map(\.bankReference)).literal)::text[], \(ArrayLiteral(s.items.map(\.location)).literal)::text[])
                       WITH ORDINALITY AS i(d, a, r, t, b, l, n)
                """)
            return .stored
        }
    }

    /// Each entry's net effect on `account`, `fund` and `currency` dated from `from` to `to`
    /// (a `repay` is one receipt), signed from the account's view (debit − credit), with its
    /// event's reference, else its event id, and whether it is matched to a statement item
    /// already; an entry and its reversal both in the period net to nothing and are left out, as
    /// are matched entries unless `includingMatched`. In date and entry order.
    public func ledgerMovements(
        account: String, fund: String, currency: Currency, from: CivilDate, to: CivilDate, includingMatched: Bool = false
    ) throws -> [LedgerMovement] {
        try Self.movements(connection, account: account, fund: fund, currency: currency, from: from, to: to, includingMatched: includingMatched)
    }

    /// The period a stored statement was matched over (nil for an unknown statement, or one
    /// without items or a stated period).
    public func statementPeriod(statementID: String) throws -> ClosedRange<CivilDate>? {
        guard let row = try connection.query("SELECT first_day, last_day FROM ledger.bank_statement WHERE statement_id = \(statementID)").first,
            let first: CivilDate = try row.decode(at: 0), let last: CivilDate = try row.decode(at: 1)
        else { return nil }
        return first...last
    }

    /// One account's balance (debit − credit) in one fund and currency as of a date.
    public func balance(account: String, fund: String, currency: Currency, asOf: CivilDate) throws -> Int64 {
        try balances(asOf: asOf, fund: fund, account: account).filter { $0.currency == currency.code }.reduce(0) { $0 + $1.balanceMinorUnits }
    }

    static func movements(
        _ db: Connection, account: String, fund: String, currency: Currency, from: CivilDate, to: CivilDate, includingMatched: Bool
    ) throws -> [LedgerMovement] {
        try db.query(
            """
            SELECT * FROM (
                SELECT mv.entry_id, mv.effective_date, mv.net, mv.reference,
                       EXISTS (SELECT 1 FROM ledger.statement_match m WHERE m.entry_id = mv.entry_id) AS matched
                  FROM ledger.statement_movements(\(account), \(fund), \(currency.code), \(from), \(to)) mv) x
             WHERE \(includingMatched) OR NOT x.matched
             ORDER BY x.effective_date, x.entry_id
            """
        ).map {
            LedgerMovement(
                entryID: try $0.decode(at: 0), date: try $0.decode(at: 1), amount: try $0.decode(at: 2), reference: try $0.decode(at: 3), matched: try $0.decode(at: 4))
        }
    }

    /// Records matches of a statement's items (numbered from 1) to entries, each with its rule
    /// (`reference`, `amount`, `batch`, or `manual` with a reason), all or nothing.
    public func storeMatches(statementID: String, _ matches: [(itemNo: Int, entryIDs: [Int64], rule: String)], reason: String? = nil) throws {
        try connection.transaction { tx in try Self.insertMatches(tx, statementID: statementID, matches, reason: reason) }
    }

    static func insertMatches(_ db: Connection, statementID: String, _ matches: [(itemNo: Int, entryIDs: [Int64], rule: String)], reason: String?) throws {
        let rows = matches.flatMap { m in m.entryIDs.map { (m.itemNo, $0, m.rule) } }
        guard !rows.isEmpty else { return }
        do {
            try db.execute(
                """
                INSERT INTO ledger.statement_match (statement_id, item_no, entry_id, rule, reason)
                SELECT \(statementID), n, e, r, \(reason)
                  FROM unnest(\(Self.raw(rows.map { String($0.0) }))::integer[], \(Self.raw(rows.map { String($0.1) }))::bigint[],
                              \(ArrayLiteral(rows.map(\.2)).literal)::text[]) AS m(n, e, r)
                """)
        }
    }

    /// A statement's matches: per item (numbered from 1), its entries and rule, by item.
    public func statementMatches(statementID: String) throws -> [(item: Int, entryIDs: [Int64], rule: String)] {
        try connection.query(
            """
            SELECT item_no, array_agg(entry_id ORDER BY entry_id)::text, min(rule) FROM ledger.statement_match
             WHERE statement_id = \(statementID) GROUP BY item_no ORDER BY item_no
            """
        ).map { row in
            let ids = Self.ids(try row.decode(String.self, at: 1))
            return (try row.decode(Int.self, at: 0), ids, try row.decode(String.self, at: 2))
        }
    }

    /// An array literal of numbers or dates (nothing to quote).
    static func raw(_ values: [String]) -> String {
        var array = ArrayLiteral()
        for v in values { array.append(raw: v) }
        return array.literal
    }

    /// The ids of a `bigint[]` read as text (`{3,7}`), the way `array_agg(…)::text` returns them.
    static func ids(_ arrayText: String) -> [Int64] {
        arrayText.dropFirst().dropLast().split(separator: ",").compactMap { Int64($0) }
    }
}

/// A break still open: a statement item no entry is matched to, or a ledger movement in a stored
/// statement's period (on its account, fund and currency) matched to no item.
public struct OpenBreak: Sendable, Equatable {
    public enum Side: String, Sendable { case statement, ledger }
    public var side: Side
    public var statementID: String
    /// The item's number in its statement, and its own id (statement side).
    public var itemNo: Int?
    public var itemID: Int64?
    /// The entry (ledger side).
    public var entryID: Int64?
    public var fund: String
    public var currency: String
    public var date: CivilDate
    public var amount: Int64
    public var reference: String
}

extension LedgerStore {
    /// Every open break as of `asOf` (items and movements dated by then), of one fund or all, by
    /// date. A movement inside the periods of several statements is listed once, under the first.
    public func openBreaks(fund: String?, asOf: CivilDate) throws -> [OpenBreak] {
        try connection.query(
            """
            SELECT 'statement', i.statement_id, i.item_no, NULL::bigint, s.fund, s.currency, i.item_date, i.amount_minor, i.reference, i.item_id
              FROM ledger.bank_statement_item i JOIN ledger.bank_statement s USING (statement_id)
             WHERE i.item_date <= \(asOf) AND (\(fund)::text IS NULL OR s.fund = \(fund)::text)
               AND NOT EXISTS (SELECT 1 FROM ledger.statement_match m WHERE m.statement_id = i.statement_id AND m.item_no = i.item_no)
            UNION ALL
            SELECT DISTINCT ON (mv.entry_id) 'ledger', s.statement_id, NULL::integer, mv.entry_id, s.fund, s.currency, mv.effective_date, mv.net, mv.reference,
                   NULL::bigint
              FROM ledger.bank_statement s
             CROSS JOIN LATERAL ledger.statement_movements(s.account, s.fund, s.currency, s.first_day, s.last_day) mv
             WHERE mv.effective_date <= \(asOf) AND (\(fund)::text IS NULL OR s.fund = \(fund)::text)
               AND NOT EXISTS (SELECT 1 FROM ledger.statement_match m WHERE m.entry_id = mv.entry_id)
             ORDER BY 7, 1, 2, 3, 4
            """
        ).map { row in
            OpenBreak(
                side: OpenBreak.Side(rawValue: try row.decode(at: 0))!, statementID: try row.decode(at: 1), itemNo: try row.decode(at: 2),
                itemID: try row.decode(at: 9), entryID: try row.decode(at: 3), fund: try row.decode(at: 4), currency: try row.decode(at: 5),
                date: try row.decode(at: 6), amount: try row.decode(at: 7), reference: try row.decode(at: 8))
        }
    }

    /// Matches an item by hand to entries whose net movements on the statement's account, fund
    /// and currency add up to the item's amount (an adjusting entry posted for a bank fee, say),
    /// with who, when and why. Refused (naming the reason) for an unknown or matched item, an
    /// entry already matched or without a movement there, or amounts that do not add up.
    /// The same manual match again (the same item and entries) changes nothing and returns false.
    @discardableResult
    public func matchByHand(itemID: Int64, entryIDs: [Int64], reason: String) throws -> (statementID: String, itemNo: Int, created: Bool) {
        guard let row = try connection.query("SELECT statement_id, item_no FROM ledger.bank_statement_item WHERE item_id = \(itemID)").first else {
            throw InputError(file: "reconcile match", field: "--statement-item", value: String(itemID), reason: "no such statement item")
        }
        let (statementID, itemNo): (String, Int) = (try row.decode(at: 0), try row.decode(at: 1))
        return (statementID, itemNo, try matchByHand(statementID: statementID, itemNo: itemNo, entryIDs: entryIDs, reason: reason))
    }

    /// The same, the item named by its statement and number.
    @discardableResult
    public func matchByHand(statementID: String, itemNo: Int, entryIDs: [Int64], reason: String) throws -> Bool {
        guard !reason.allSatisfy(\.isWhitespace) else {
            throw InputError(file: "reconcile match", field: "--reason", value: reason, reason: "a manual match needs a reason")
        }
        return try connection.transaction { tx in
            guard let item = try tx.query(
                """
                SELECT i.amount_minor, s.account, s.fund, s.currency,
                       EXISTS (SELECT 1 FROM ledger.statement_match m WHERE m.statement_id = i.statement_id AND m.item_no = i.item_no)
                  FROM ledger.bank_statement_item i JOIN ledger.bank_statement s USING (statement_id)
                 WHERE i.statement_id = \(statementID) AND i.item_no = \(itemNo)
                """
            ).first else {
                throw InputError(file: "reconcile match", field: "--statement/--item", value: "\(statementID) #\(itemNo)", reason: "no such statement item")
            }
            let currency = try Currency.named(try item.decode(at: 3))
            func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).formatted + " " + currency.code }
            if try item.decode(Bool.self, at: 4) {
                let existing = try tx.query(
                    "SELECT entry_id, rule FROM ledger.statement_match WHERE statement_id = \(statementID) AND item_no = \(itemNo) ORDER BY entry_id")
                if try existing.map({ try $0.decode(String.self, at: 1) }).allSatisfy({ $0 == "manual" }),
                    try existing.map({ try $0.decode(Int64.self, at: 0) }) == entryIDs.sorted()
                {
                    return false
                }
                throw InputError(file: "reconcile match", field: "--item", value: "\(statementID) #\(itemNo)", reason: "the item is matched already")
            }
            // The entries' movements on the statement's cash, in one query.
            var movements: [Int64: (net: Int64, matched: Bool)] = [:]
            for row in try tx.query(
                """
                SELECT mv.entry_id, mv.net, EXISTS (SELECT 1 FROM ledger.statement_match m WHERE m.entry_id = mv.entry_id)
                  FROM ledger.entry_movement mv
                 WHERE mv.entry_id = ANY (\(Self.raw(entryIDs.map(String.init)))::bigint[])
                   AND mv.account = \(try item.decode(String.self, at: 1)) AND mv.fund = \(try item.decode(String.self, at: 2)) AND mv.currency = \(currency.code)
                """)
            {
                movements[try row.decode(Int64.self, at: 0)] = (try row.decode(Int64.self, at: 1), try row.decode(Bool.self, at: 2))
            }
            var total: Int64 = 0
            for id in entryIDs {
                guard let movement = movements[id], movement.net != 0 else {
                    throw InputError(file: "reconcile match", field: "--entry", value: String(id), reason: "the entry does not move the statement's account, fund and currency")
                }
                guard !movement.matched else {
                    throw InputError(file: "reconcile match", field: "--entry", value: String(id), reason: "the entry is matched to another item already")
                }
                total += movement.net
            }
            let amount: Int64 = try item.decode(at: 0)
            guard total == amount else {
                throw InputError(
                    file: "reconcile match", field: "--entry", value: entryIDs.map(String.init).joined(separator: ","),
                    reason: "the entries move \(money(total)), the item \(money(amount))")
            }
            try Self.insertMatches(tx, statementID: statementID, [(itemNo: itemNo, entryIDs: entryIDs, rule: "manual")], reason: reason)
            return true
        }
    }
}

/// One line of the subledger tie-out: per fund and currency, the facilities' side against the
/// general ledger's control balance (debit − credit; for obligations, the credit balance).
public struct SubledgerLine: Sendable, Equatable {
    public var fund: String
    public var currency: String
    /// "135000", "134100", "169000", "161800", "920100", or "480100+490200" for obligations.
    public var line: String
    public var subledger: Int64
    public var generalLedger: Int64
}

extension LedgerStore {
    /// The control accounts a facility subledger ties to.
    static let subledgerAccounts = ["135000", "134100", "169000", "161800", "920100"]

    /// The subledger against the general ledger as of `asOf` (DOMAIN.md §7), in one snapshot.
    ///
    /// Facilities' side: what each facility's events posted to the control account on its own
    /// lines (net of the events reversed), summed; for obligations, each facility's obligations
    /// less deobligations from its events. General ledger side: the stored balances of the
    /// control accounts (every line, with a facility or not), and of 480100 + 490200. A line that
    /// does not tie shows an entry posted to a control account outside the events, or a balance
    /// that is not the sum of its lines.
    public func subledgerTieOut(asOf: CivilDate, fund: String?) throws -> [SubledgerLine] {
        try connection.transaction(.repeatableRead, readOnly: true) { tx in
            try Self.noJIT(tx)
            var lines: [String: SubledgerLine] = [:]
            func key(_ fund: String, _ currency: String, _ line: String) -> String { "\(fund) \(currency) \(line)" }
            func add(_ fund: String, _ currency: String, _ line: String, subledger: Int64 = 0, general: Int64 = 0) {
                lines[key(fund, currency, line), default: SubledgerLine(fund: fund, currency: currency, line: line, subledger: 0, generalLedger: 0)].subledger += subledger
                lines[key(fund, currency, line)]!.generalLedger += general
            }
            for row in try tx.query(
                """
                SELECT l.fund, l.currency, l.account, sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END)::bigint
                  FROM ledger.journal_line l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id
                 WHERE l.facility_id IS NOT NULL AND l.account = ANY (\(ArrayLiteral(Self.subledgerAccounts).literal)::text[]) AND e.effective_date <= \(asOf)
                   AND (\(fund)::text IS NULL OR l.fund = \(fund)::text)
                   AND EXISTS (SELECT 1 FROM ledger.event ev WHERE ev.entry_id = coalesce(e.reverses, e.entry_id))
                 GROUP BY 1, 2, 3
                """)
            {
                add(try row.decode(at: 0), try row.decode(at: 1), try row.decode(at: 2), subledger: try row.decode(at: 3))
            }
            for row in try tx.query(
                """
                SELECT ev.fund, ev.currency, sum(CASE ev.event_type WHEN 'obligate' THEN ev.amount_minor ELSE -ev.amount_minor END
                                                 * CASE WHEN r.entry_id IS NULL THEN 1 ELSE 0 END)::bigint
                  FROM ledger.event ev
                  LEFT JOIN ledger.journal_entry r ON r.reverses = ev.entry_id AND r.effective_date <= \(asOf)
                 WHERE ev.facility_id IS NOT NULL AND ev.event_type IN ('obligate', 'deobligate') AND ev.effective_date <= \(asOf)
                   AND (\(fund)::text IS NULL OR ev.fund = \(fund)::text)
                 GROUP BY 1, 2
                """)
            {
                add(try row.decode(at: 0), try row.decode(at: 1), "480100+490200", subledger: try row.decode(at: 2))
            }
            for row in try Self.balanceRows(tx, asOf: asOf, fund: fund, byFacility: false, accounts: Self.subledgerAccounts + ["480100", "490200"]) {
                let account: String = try row.decode(at: 0)
                let balance: Int64 = try row.decode(at: 4)
                let obligation = account == "480100" || account == "490200"
                add(try row.decode(at: 1), try row.decode(at: 2), obligation ? "480100+490200" : account, general: obligation ? -balance : balance)
            }
            return lines.values.sorted { ($0.fund, $0.currency, $0.line) < ($1.fund, $1.currency, $1.line) }
        }
    }
}
