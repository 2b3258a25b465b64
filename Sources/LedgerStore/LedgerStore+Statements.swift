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
    /// period, in one transaction: a statement is never stored without its matches. The same
    /// statement again writes nothing (`.alreadyStored`), and `match` is not called.
    public func storeStatement(
        _ s: BankStatement, account: String, fund: String, file: String, from: CivilDate, to: CivilDate,
        match: ([LedgerMovement]) -> [(itemNo: Int, entryIDs: [Int64], rule: String)]
    ) throws -> StatementStored {
        try connection.transaction { tx in
            guard try Self.insertStatement(s, account: account, fund: fund, file: file, tx) == .stored else { return .alreadyStored }
            let open = try Self.movements(tx, account: account, fund: fund, currency: s.currency, from: from, to: to, includingMatched: false)
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
    /// event's reference, else its event id; entries matched to a statement item already are
    /// left out unless `includingMatched`. In date and entry order.
    public func ledgerMovements(
        account: String, fund: String, currency: Currency, from: CivilDate, to: CivilDate, includingMatched: Bool = false
    ) throws -> [LedgerMovement] {
        try Self.movements(connection, account: account, fund: fund, currency: currency, from: from, to: to, includingMatched: includingMatched)
    }

    static func movements(
        _ db: Connection, account: String, fund: String, currency: Currency, from: CivilDate, to: CivilDate, includingMatched: Bool
    ) throws -> [LedgerMovement] {
        try db.query(
            """
            SELECT e.entry_id, e.effective_date,
                   sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END)::bigint,
                   coalesce(nullif(ev.reference, ''), e.event_key)
              FROM ledger.journal_entry e
              JOIN ledger.journal_line l ON l.entry_id = e.entry_id
              LEFT JOIN ledger.event ev ON ev.entry_id = e.entry_id
             WHERE e.effective_date BETWEEN \(from) AND \(to)
               AND l.account = \(account) AND l.fund = \(fund) AND l.currency = \(currency.code)
               AND (\(includingMatched) OR NOT EXISTS (SELECT 1 FROM ledger.statement_match m WHERE m.entry_id = e.entry_id))
             GROUP BY e.entry_id, e.effective_date, ev.reference, e.event_key
            HAVING sum(CASE l.side WHEN 'debit' THEN l.amount_minor ELSE -l.amount_minor END) <> 0
             ORDER BY e.effective_date, e.entry_id
            """
        ).map { LedgerMovement(entryID: try $0.decode(at: 0), date: try $0.decode(at: 1), amount: try $0.decode(at: 2), reference: try $0.decode(at: 3)) }
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
            let ids = try row.decode(String.self, at: 1).dropFirst().dropLast().split(separator: ",").compactMap { Int64($0) }
            return (try row.decode(Int.self, at: 0), ids, try row.decode(String.self, at: 2))
        }
    }

    /// An array literal of numbers or dates (nothing to quote).
    static func raw(_ values: [String]) -> String {
        var array = ArrayLiteral()
        for v in values { array.append(raw: v) }
        return array.literal
    }
}
