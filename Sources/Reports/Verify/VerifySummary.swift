import Ledger

/// `dfc-ledger verify` as printed: what was checked, the chain's head, and every problem listed.
public struct VerifySummary: Encodable, Sendable, Equatable {
    /// "ok" or "failed".
    public var status: String
    public var entries: Int
    public var sealsChecked: Int
    public var linesChecked: Int
    public var balancesChecked: Int
    public var eventSumsChecked: Int
    public var pending: Int
    /// `SEQ:SHA256`, or null while nothing is sealed.
    @NullWhenAbsent public var head: String?
    public var problemCount: Int
    /// The first problems, in the order found (chain order, then unsealed entries, then balances).
    public var problems: [String]

    public init(_ report: VerifyReport) {
        status = report.isIntact ? "ok" : "failed"
        entries = report.entries
        sealsChecked = report.sealsChecked
        linesChecked = report.linesChecked
        balancesChecked = report.balancesChecked
        eventSumsChecked = report.eventSumsChecked
        pending = report.pending
        head = report.head
        problemCount = report.problemCount
        problems = report.problems.map(\.description)
    }

    /// Plain text for a terminal.
    public var text: String {
        var out = """
            Journal:   \(entries) entries, \(linesChecked) lines in sealed entries
            Chain:     \(sealsChecked) seals recomputed\(head.map { "; head \($0)" } ?? "; nothing sealed yet")
            Balances:  \(balancesChecked) stored balances (per day, month and all time) recomputed from the lines
            Events:    \(eventSumsChecked) stored event sums (per day, month and all time) recomputed from the events
            Pending:   \(pending) entries committed after the sealer ran (sealed by the next run)

            """
        if problemCount == 0 {
            out += "verify: OK: every seal, link and balance holds\n"
        } else {
            out += "verify: FAILED: \(problemCount) problem\(problemCount == 1 ? "" : "s")"
            out += problems.count < problemCount ? " (the first \(problems.count) listed)\n" : "\n"
            for p in problems { out += "  - \(p)\n" }
        }
        return out
    }

    /// One row per problem (or a single "ok" row), for `--format csv`.
    public var table: TextTable {
        var table = TextTable(columns: [.init("status"), .init("head"), .init("problem")])
        if problems.isEmpty { table.append([status, head ?? "", ""]) }
        for p in problems { table.append([status, head ?? "", p]) }
        return table
    }
}
