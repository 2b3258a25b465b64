import Dates
import Ledger
import Postgres

/// The end of the audit chain: the last seal.
public struct ChainHead: Hashable, Sendable, CustomStringConvertible {
    public var chainSeq: Int64
    public var entryID: Int64
    public var sha256: String

    public init(chainSeq: Int64, entryID: Int64, sha256: String) {
        self.chainSeq = chainSeq
        self.entryID = entryID
        self.sha256 = sha256
    }

    /// `SEQ:SHA256`, the form `dfc-ledger verify --expect-head` takes back.
    public var description: String { "\(chainSeq):\(sha256)" }

    /// Parses `SEQ:SHA256` (a chain number, a colon, 64 lowercase hex digits); the entry is not
    /// part of the text and is left 0.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq >= 1, parts[1].count == 64,
            parts[1].allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) })
        else { return nil }
        self.init(chainSeq: seq, entryID: 0, sha256: String(parts[1]))
    }
}

/// What one run of the sealer did.
public struct SealResult: Hashable, Sendable {
    /// Entries sealed by this run.
    public var sealed: Int
    /// The chain's head afterwards; nil while the journal is empty.
    public var head: ChainHead?
    /// False when another sealer was running and `wait` was false: it will seal what is committed.
    public var ran: Bool
}

extension LedgerStore {
    /// How many entries the sealer reads and hashes at a time.
    static let sealBatch = 1000
    /// How many batches one sealing transaction takes at most.
    static let sealBatchesPerTransaction = 10

    /// Seals every entry whose recording transaction has finished, in recording order.
    ///
    /// Writers never wait for the chain: they commit, and a sealer run (after each write command,
    /// at month-end and by `verify`) chains what is committed. One sealer runs at a time; with
    /// `wait: false` a run that finds another one busy returns at once (`ran == false`).
    @discardableResult
    public func sealCommitted(wait: Bool = true) throws -> SealResult {
        var total = 0
        while true {
            let step = try connection.transaction { tx -> (sealed: Int, head: ChainHead?, more: Bool)? in
                if wait {
                    try tx.execute("SELECT pg_advisory_xact_lock(\(Self.sealerLock.0), \(Self.sealerLock.1))")
                } else if try tx.scalar(Bool.self, "SELECT pg_try_advisory_xact_lock(\(Self.sealerLock.0), \(Self.sealerLock.1))") != true {
                    return nil
                }
                // Its queries read a batch each; right after a large import the journal's statistics
                // are stale and made the planner cost them high enough to compile them (JIT, ~90 ms
                // a batch, more than the work itself).
                try tx.execute("SET LOCAL jit = off")
                return try Self.sealBatches(tx)
            }
            guard let step else { return SealResult(sealed: total, head: nil, ran: false) }
            total += step.sealed
            if !step.more {
                try summarize()
                return SealResult(sealed: total, head: step.head, ran: true)
            }
        }
    }

    /// Adds the entries committed since the last run to the summaries every read starts from — the
    /// month and all-time balances, the event sums by day, month and all time — and moves their
    /// watermark (`ledger.summarize`, Schema/0012_summaries.sql); the sealer's run ends with it.
    /// Returns how many entries it passed.
    @discardableResult
    public func summarize() throws -> Int {
        try connection.transaction { tx in try tx.scalar(Int.self, "SELECT ledger.summarize()") ?? 0 }
    }

    /// The advisory lock that admits one sealer at a time.
    static let sealerLock: (Int32, Int32) = (7306002, 1)

    /// Seals up to `sealBatchesPerTransaction` batches of entries after the head, inside the
    /// sealer's transaction; `more` when the last batch was full (there may be more to seal).
    ///
    /// The client hashes one batch while the server writes the seals of the batch before it and
    /// reads the batch after it, in one statement: the two sides work at the same time instead of
    /// in turn (a batch's server work and its hashing take about as long as each other).
    private static func sealBatches(_ tx: Connection) throws -> (sealed: Int, head: ChainHead?, more: Bool) {
        let start = try headPosition(tx)
        var head = start.head
        // Only entries below the bound: their transactions ended before the next statement's
        // snapshot, so they are all visible to it, and no entry can later appear before them.
        guard let bound = try tx.scalar(String.self, "SELECT ledger.chain_bound()::text") else { return (0, head, false) }
        func batch(after position: ChainPosition, alongside: SQL? = nil) -> SQL {
            entriesQuery(
                from: """
                    SELECT e.* FROM ledger.journal_entry e
                     WHERE (e.recorded_xid, e.entry_id) > (\(String(position.recordedXID))::xid8, \(position.entryID))
                       AND e.recorded_xid < \(bound)::xid8
                     ORDER BY e.recorded_xid, e.entry_id
                     LIMIT \(sealBatch)
                    """,
                order: "e.recorded_xid, e.entry_id", fewEntries: true, alongside: alongside)
        }
        var entries = try assembled(tx.query(batch(after: start.position)))
        var sealed = 0
        var batches = 0
        var full = false
        var unwritten: SQL?  // the seals of the batch hashed last, not sent yet
        while let last = entries.last {
            batches += 1
            full = entries.count == sealBatch
            let readNext = full && batches < sealBatchesPerTransaction
            let position = ChainPosition(recordedXID: last.recordedXID, entryID: last.posted.entryID)
            let sent = try readNext ? tx.send(batch(after: position, alongside: unwritten)) : unwritten.map { try tx.send($0) }

            // The seals go as four array literals (digits and lowercase hex need no quoting): one
            // statement with four parameters, where a VALUES row per seal cost the server ~2.6 µs a
            // seal to parse and bind.
            var seqs = ArrayLiteral(), ids = ArrayLiteral(), previousHashes = ArrayLiteral(), hashes = ArrayLiteral()
            var seq = head?.chainSeq ?? 0
            var previous = head?.sha256 ?? AuditChain.genesis
            for entry in entries {
                seq += 1
                let sha = AuditChain.seal(entry, previous: previous)
                seqs.append(raw: String(seq))
                ids.append(raw: String(entry.posted.entryID))
                previousHashes.append(raw: previous)
                hashes.append(raw: sha)
                previous = sha
                head = ChainHead(chainSeq: seq, entryID: entry.posted.entryID, sha256: sha)
            }
            unwritten = """
                INSERT INTO ledger.entry_seal (chain_seq, entry_id, previous_sha256, sha256)
                SELECT * FROM unnest(\(seqs.literal)::bigint[], \(ids.literal)::bigint[], \(previousHashes.literal)::text[], \(hashes.literal)::text[])
                """
            sealed += entries.count
            let rows = try sent.map { try tx.wait($0) }
            entries = try readNext ? assembled(rows!) : []
        }
        if let unwritten { try tx.execute(unwritten) }
        return (sealed, head, full)
    }

    /// The entries of a batch read whole (`entriesQuery`), in order.
    private static func assembled(_ rows: Rows) throws -> [SealedEntry] {
        var assembler = EntryAssembler(withSeals: false)
        var entries: [SealedEntry] = []
        for row in rows {
            if let done = try assembler.add(row) { entries.append(done.entry) }
        }
        if let done = assembler.finish() { entries.append(done.entry) }
        return entries
    }

    /// The chain's head, or nil before the first seal.
    public func chainHead() throws -> ChainHead? {
        try Self.headPosition(connection).head
    }

    /// One entry of a streamed run, with the seal columns the query selected (if any).
    struct StreamedEntry {
        var entry: SealedEntry
        /// The number of lines the header declares (the lines actually present are in `entry`).
        var declaredLines: Int
        var seal: (chainSeq: Int64, previous: String, sha256: String)?
    }

    /// Streams whole entries (header and lines, in line order) for the entries that `entries`
    /// selects (see `entriesQuery`), in the order given by `order`. Memory holds one entry.
    static func streamEntries(
        from entries: SQL, order: String, withSeals: Bool = false, fewEntries: Bool = false, _ db: Connection,
        _ body: (StreamedEntry) throws -> Void
    ) throws {
        var assembler = EntryAssembler(withSeals: withSeals)
        try db.stream(entriesQuery(from: entries, order: order, withSeals: withSeals, fewEntries: fewEntries)) { row in
            if let done = try assembler.add(row) { try body(done) }
        }
        if let done = assembler.finish() { try body(done) }
    }

    /// One row per line (an entry without lines: one row, its line columns NULL) for the entries
    /// that `entries` selects — a query over `ledger.journal_entry e` returning `e.*`, optionally
    /// joined with `ledger.entry_seal s` and then selecting `s.chain_seq, s.previous_sha256,
    /// s.sha256` after `e.*` (NULL for an unsealed entry) — in the order given by `order` (columns
    /// of `e` or `s`), then line order: what `EntryAssembler` reads. `fewEntries` when `entries`
    /// selects a bounded batch (the sealer's): each entry's lines are then looked up by its key, so
    /// the cost follows the batch and never the journal (the planner otherwise may read every line
    /// to hash-join a thousand entries). `alongside`, a data-changing statement, runs in the same
    /// statement (a CTE of its own) and does not change what is read.
    static func entriesQuery(from entries: SQL, order: String, withSeals: Bool = false, fewEntries: Bool = false, alongside: SQL? = nil) -> SQL {
        let sealColumns = withSeals ? ", e.chain_seq, e.previous_sha256, e.sha256" : ""
        let lineSource =
            fewEntries
            ? "LEFT JOIN LATERAL (SELECT * FROM ledger.journal_line l WHERE l.entry_id = e.entry_id OFFSET 0) l ON true"
            : "LEFT JOIN ledger.journal_line l ON l.entry_id = e.entry_id"
        let first = alongside.map { SQL(unsafeSQL: "WITH alongside AS (") + $0 + SQL(unsafeSQL: "), e AS (") } ?? SQL(unsafeSQL: "WITH e AS (")
        return first + entries
            + SQL(
                unsafeSQL: """
                    )
                    SELECT e.entry_id, e.recorded_xid::text::bigint, e.recorded_at, e.recorded_by, e.event_key, e.effective_date,
                           e.description, e.reverses, e.line_count,
                           l.line_no, l.account, l.fund, l.facility_id, l.side, l.amount_minor, l.currency,
                           a.proposal_id, a.proposed_by, a.proposed_at, a.approved_by, a.approved_at\(sealColumns)
                      FROM e \(lineSource)
                      LEFT JOIN ledger.entry_approval a ON a.entry_id = e.entry_id
                     ORDER BY \(order), l.line_no
                    """)
    }

    /// Builds whole entries from the rows of an `entriesQuery`, one row at a time.
    struct EntryAssembler {
        let withSeals: Bool
        private var current: StreamedEntry?
        private var lines: [JournalLine] = []

        init(withSeals: Bool) { self.withSeals = withSeals }

        /// Takes the next row; returns the entry it closed, if it starts another one.
        mutating func add(_ row: Row) throws -> StreamedEntry? {
            let entryID: Int64 = try row.decode(at: 0)
            var closed: StreamedEntry?
            if current?.entry.posted.entryID != entryID {
                closed = finish()
                let posted = PostedEntry(
                    entryID: entryID,
                    entry: NewEntry(
                        eventKey: try row.decode(at: 4), effectiveDate: try row.decode(at: 5), description: try row.decode(at: 6),
                        lines: [], reverses: try row.decode(at: 7)),
                    recordedAt: try row.decode(at: 2), recordedBy: try row.decode(at: 3))
                let seal: (Int64, String, String)? =
                    withSeals && !row.isNull(at: 21) ? (try row.decode(at: 21), try row.decode(at: 22), try row.decode(at: 23)) : nil
                let approval =
                    row.isNull(at: 16)
                    ? nil
                    : EntryApproval(
                        proposalID: try row.decode(at: 16), proposedBy: try row.decode(at: 17), proposedAt: try row.decode(at: 18),
                        approvedBy: try row.decode(at: 19), approvedAt: try row.decode(at: 20))
                current = StreamedEntry(
                    entry: SealedEntry(posted: posted, recordedXID: UInt64(try row.decode(Int64.self, at: 1)), approval: approval),
                    declaredLines: try row.decode(at: 8), seal: seal)
            }
            // An entry whose lines were all removed still arrives once, with NULL line columns.
            if !row.isNull(at: 9) {
                lines.append(
                    JournalLine(
                        account: try row.decode(at: 10), fund: try row.decode(at: 11), facility: try row.decode(at: 12),
                        side: try row.decode(at: 13),
                        amount: Money(minorUnits: try row.decode(at: 14), currency: try Currency.named(try row.decode(at: 15)))))
            }
            return closed
        }

        /// The last entry, once the rows have ended.
        mutating func finish() -> StreamedEntry? {
            guard var done = current else { return nil }
            done.entry.posted.entry.lines = lines
            current = nil
            lines.removeAll(keepingCapacity: true)
            return done
        }
    }
}

extension LedgerStore {
    /// Recomputes the audit chain and every stored balance from the journal's lines, in one
    /// consistent snapshot, and reports what does not hold.
    ///
    /// With `sealFirst` (the default) committed entries are sealed before checking, so the chain
    /// covers everything written so far; without it (a read-only replica, say) unsealed entries are
    /// counted as pending. `expectedHead` is a head recorded earlier outside the database
    /// (`SEQ:SHA256`): the chain must still hold it, or it was rewritten.
    public func verify(sealFirst: Bool = true, expectedHead: ChainHead? = nil) throws -> VerifyReport {
        if sealFirst { try sealCommitted() }
        let chart = try self.chart()
        return try connection.transaction(.repeatableRead, readOnly: true) { tx in
            var verifier = ChainVerifier(accounts: chart.accounts, funds: chart.funds)
            try Self.streamEntries(
                from:
                    """
                    SELECT e.*, s.chain_seq, s.previous_sha256, s.sha256
                      FROM ledger.entry_seal s JOIN ledger.journal_entry e ON e.entry_id = s.entry_id
                    """,
                order: "e.chain_seq", withSeals: true, tx
            ) { streamed in
                guard let seal = streamed.seal else { return }
                verifier.check(
                    streamed.entry, declaredLines: streamed.declaredLines, chainSeq: seal.chainSeq, previous: seal.previous,
                    sha256: seal.sha256)
            }
            var problems = verifier.problems
            var count = verifier.problemCount

            let head = try Self.headPosition(tx)
            // Entries without a seal: before the head's position they were skipped or unsealed
            // (a problem); after it they are simply newer than the last sealer run.
            let unsealed = try tx.query(
                """
                SELECT e.entry_id, e.event_key,
                       (e.recorded_xid, e.entry_id) < (\(String(head.position.recordedXID))::xid8, \(head.position.entryID)) AS inside,
                       count(*) FILTER (WHERE (e.recorded_xid, e.entry_id) > (\(String(head.position.recordedXID))::xid8, \(head.position.entryID))) OVER () AS pending,
                       count(*) OVER () AS total
                  FROM ledger.journal_entry e
                 WHERE NOT EXISTS (SELECT 1 FROM ledger.entry_seal s WHERE s.entry_id = e.entry_id)
                 ORDER BY e.recorded_xid, e.entry_id
                """)
            var pending = 0
            for row in unsealed {
                pending = try row.decode(at: 3)
                if try row.decode(Bool.self, at: 2) {
                    count += 1
                    problems.append(.unsealed(entryID: try row.decode(at: 0), eventKey: try row.decode(at: 1)))
                }
            }

            if let expectedHead {
                let found = try tx.scalar(String.self, "SELECT sha256 FROM ledger.entry_seal WHERE chain_seq = \(expectedHead.chainSeq)")
                if found != expectedHead.sha256 {
                    count += 1
                    problems.append(.headMismatch(expected: expectedHead.description, found: found.map { "\(expectedHead.chainSeq):\($0)" } ?? "no seal #\(expectedHead.chainSeq)"))
                }
            }

            let balances = try Self.balanceMismatches(tx)
            count += balances.count
            problems += balances.first
            let eventSums = try Self.eventSumMismatches(tx)
            count += eventSums.count
            problems += eventSums.first
            for row in try tx.query(
                "SELECT proposal_id, content_sha256 FROM ledger.proposal WHERE encode(sha256(convert_to(content::text, 'UTF8')), 'hex') <> content_sha256 ORDER BY proposal_id")
            {
                count += 1
                if problems.count < 20 { problems.append(.alteredProposal(id: try row.decode(at: 0), sha256: try row.decode(at: 1))) }
            }
            return VerifyReport(
                entries: try tx.scalar(Int.self, "SELECT count(*) FROM ledger.journal_entry") ?? 0,
                sealsChecked: verifier.checked, linesChecked: verifier.lines, head: head.head?.description, pending: pending,
                balancesChecked: try tx.scalar(
                    Int.self, "SELECT (SELECT count(*) FROM ledger.balance_day) + (SELECT count(*) FROM ledger.balance_month) + (SELECT count(*) FROM ledger.balance_total)") ?? 0,
                eventSumsChecked: try tx.scalar(
                    Int.self, "SELECT (SELECT count(*) FROM ledger.event_day) + (SELECT count(*) FROM ledger.event_month) + (SELECT count(*) FROM ledger.event_total)") ?? 0,
                problems: Array(problems.prefix(VerifyReport.problemLimit)), problemCount: count)
        }
    }

    /// The head and its place in recording order (`.start` when nothing is sealed).
    static func headPosition(_ db: Connection) throws -> (head: ChainHead?, position: ChainPosition) {
        guard
            let row = try db.query(
                """
                SELECT s.chain_seq, s.entry_id, s.sha256, e.recorded_xid::text::bigint
                  FROM ledger.entry_seal s JOIN ledger.journal_entry e ON e.entry_id = s.entry_id
                 ORDER BY s.chain_seq DESC LIMIT 1
                """
            ).first
        else { return (nil, .start) }
        let head = ChainHead(chainSeq: try row.decode(at: 0), entryID: try row.decode(at: 1), sha256: try row.decode(at: 2))
        return (head, ChainPosition(recordedXID: UInt64(try row.decode(Int64.self, at: 3)), entryID: head.entryID))
    }

    /// Stored event sums that differ from the sums of their events: per day, per month and all
    /// time, each over the entries up to the summaries' watermark (Schema/0012_summaries.sql). The
    /// first few, and how many.
    private static func eventSumMismatches(_ db: Connection) throws -> (first: [VerifyProblem], count: Int) {
        var problems: [VerifyProblem] = []
        var count = 0
        for summary in SummaryTable.events {
            let rows = try db.query(
                """
                WITH recomputed AS (
                    SELECT x.facility_id, x.event_type \(summary.period(of: "x.effective_date")),
                           coalesce(sum(x.amount_minor), 0)::bigint AS amount_minor, coalesce(sum(x.principal_credit_minor), 0)::bigint AS principal_credit_minor
                      FROM ledger.summary_position w, ledger.event_effect x
                     WHERE (x.recorded_xid, x.entry_id) <= (w.recorded_xid, w.entry_id)
                     GROUP BY 1, 2 \(unsafeSQL: summary.column == nil ? "" : ", 3")
                )
                SELECT facility_id, event_type, \(summary.label), coalesce(f.currency, 'USD'),
                       b.amount_minor, b.principal_credit_minor, r.amount_minor, r.principal_credit_minor, count(*) OVER ()
                  FROM \(summary.moved("amount_minor", "principal_credit_minor")) r
                  FULL JOIN ledger.\(unsafeSQL: summary.table) b USING (facility_id, event_type \(summary.using))
                  LEFT JOIN ledger.facility f USING (facility_id)
                 WHERE b.amount_minor IS DISTINCT FROM r.amount_minor OR b.principal_credit_minor IS DISTINCT FROM r.principal_credit_minor
                 ORDER BY 3, 1, 2
                 LIMIT \(VerifyReport.problemLimit)
                """)
            problems += try eventSumProblems(rows)
            count += try rows.first.map { try $0.decode(Int.self, at: 8) } ?? 0
        }
        return (problems, count)
    }

    private static func eventSumProblems(_ rows: Rows) throws -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        for row in rows {
            let currency = try Currency.named(try row.decode(at: 3))
            func pair(_ amount: Int, _ principal: Int) throws -> String {
                guard let a = try row.decode(Int64?.self, at: amount), let p = try row.decode(Int64?.self, at: principal) else { return "nothing" }
                return "amount \(Money(minorUnits: a, currency: currency).formatted), 135000 credits \(Money(minorUnits: p, currency: currency).formatted)"
            }
            let key = "facility \(try row.decode(String.self, at: 0)) \(try row.decode(String.self, at: 1)) \(try row.decode(String.self, at: 2))"
            problems.append(.eventSumMismatch(key: key, stored: try pair(4, 5), recomputed: try pair(6, 7)))
        }
        return problems
    }

    /// Stored balances that differ from the sum of their lines of the entries up to the summaries'
    /// watermark, per day, per month and all time. The first few, and how many.
    private static func balanceMismatches(_ db: Connection) throws -> (first: [VerifyProblem], count: Int) {
        var problems: [VerifyProblem] = []
        var count = 0
        for summary in SummaryTable.balances {
            let rows = try db.query(
                """
                WITH recomputed AS (
                    SELECT l.account, l.fund, coalesce(l.facility_id, '') AS facility_id, l.currency \(summary.period(of: "e.effective_date")),
                           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'debit'), 0)::bigint AS debit_minor,
                           coalesce(sum(l.amount_minor) FILTER (WHERE l.side = 'credit'), 0)::bigint AS credit_minor
                      FROM ledger.summary_position w, ledger.journal_line l JOIN ledger.journal_entry e ON e.entry_id = l.entry_id
                     WHERE (e.recorded_xid, e.entry_id) <= (w.recorded_xid, w.entry_id)
                     GROUP BY 1, 2, 3, 4 \(unsafeSQL: summary.column == nil ? "" : ", 5")
                )
                SELECT account, fund, facility_id, currency, \(summary.label),
                       b.debit_minor, b.credit_minor, r.debit_minor, r.credit_minor, count(*) OVER ()
                  FROM \(summary.moved("debit_minor", "credit_minor")) r FULL JOIN ledger.\(unsafeSQL: summary.table) b USING (account, fund, facility_id, currency \(summary.using))
                 WHERE b.debit_minor IS DISTINCT FROM r.debit_minor OR b.credit_minor IS DISTINCT FROM r.credit_minor
                 ORDER BY account, fund, facility_id, currency, 5
                 LIMIT \(VerifyReport.problemLimit)
                """)
            for row in rows {
                let currency = try Currency.named(try row.decode(at: 3))
                func pair(_ debit: Int, _ credit: Int) throws -> String {
                    guard let d = try row.decode(Int64?.self, at: debit), let c = try row.decode(Int64?.self, at: credit) else { return "nothing" }
                    return "debit \(Money(minorUnits: d, currency: currency).formatted), credit \(Money(minorUnits: c, currency: currency).formatted)"
                }
                let facility: String = try row.decode(at: 2)
                let key = "\(try row.decode(String.self, at: 0)) fund \(try row.decode(String.self, at: 1))"
                    + (facility.isEmpty ? "" : " facility \(facility)") + " \(currency.code) \(try row.decode(String.self, at: 4))"
                problems.append(.balanceMismatch(key: key, stored: try pair(5, 6), recomputed: try pair(7, 8)))
            }
            count += try rows.first.map { try $0.decode(Int.self, at: 9) } ?? 0
        }
        return (Array(problems.prefix(VerifyReport.problemLimit)), count)
    }
}

/// A stored summary `verify` recomputes: its table (the days' are views of the month rows'
/// running sums) and the period its rows are kept by (nil: all time).
private struct SummaryTable {
    var table: String
    var column: String?

    static let balances = [
        SummaryTable(table: "balance_month", column: "month"), SummaryTable(table: "balance_day", column: "day"),
        SummaryTable(table: "balance_total", column: nil),
    ]
    static let events = [SummaryTable(table: "event_month", column: "month"), SummaryTable(table: "event_day", column: "day"), SummaryTable(table: "event_total", column: nil)]

    /// The recomputed period column, from an effective date.
    func period(of date: String) -> SQL {
        switch column {
        case "day": ", \(unsafeSQL: date) AS day"
        case "month": ", date_trunc('month', \(unsafeSQL: date))::date AS month"
        default: ""
        }
    }
    /// The period in a problem's key.
    var label: SQL {
        switch column {
        case "day": "to_char(day, 'YYYY-MM-DD')"
        case "month": "to_char(month, 'YYYY-MM')"
        default: "'all time'"
        }
    }
    var using: SQL { column.map { ", \(unsafeSQL: $0)" } ?? "" }
    /// The recomputed rows to compare: of the days (the views over the month rows' running sums,
    /// Schema/0016_days_in_month_rows.sql), those that moved a figure.
    func moved(_ figures: String...) -> SQL {
        guard column == "day" else { return "recomputed" }
        return "(SELECT * FROM recomputed WHERE \(unsafeSQL: figures.map { "\($0) <> 0" }.joined(separator: " OR ")))"
    }
}
