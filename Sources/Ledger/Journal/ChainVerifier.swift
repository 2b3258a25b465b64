/// One thing `verify` found wrong with the books.
public enum VerifyProblem: Hashable, Sendable, CustomStringConvertible {
    /// A seal is not the hash of its entry: the entry (or the seal) was changed after sealing.
    case sealMismatch(chainSeq: Int64, entryID: Int64, eventKey: String, stored: String, recomputed: String)
    /// A seal does not link to the seal before it.
    case brokenLink(chainSeq: Int64, entryID: Int64, previous: String, expected: String)
    /// The chain's numbers skip or repeat.
    case chainGap(expected: Int64, found: Int64, entryID: Int64)
    /// An entry sits in the chain before one recorded earlier.
    case outOfOrder(chainSeq: Int64, entryID: Int64, position: ChainPosition, after: ChainPosition)
    /// An entry recorded before the chain's head has no seal: a seal was removed, or the entry was
    /// added around the ledger.
    case unsealed(entryID: Int64, eventKey: String)
    /// An entry breaks a journal rule (balance, line count) that the database should have refused.
    case invalidEntry(entryID: Int64, reason: String)
    /// A stored balance (per day, month or all time) differs from the sum of the lines.
    case balanceMismatch(key: String, stored: String, recomputed: String)
    /// Stored event sums (per day, month or all time) differ from the sums of their events.
    case eventSumMismatch(key: String, stored: String, recomputed: String)
    /// The chain no longer holds a head that was recorded outside the database.
    case headMismatch(expected: String, found: String)
    /// A proposal whose stored content no longer has the SHA-256 taken when it was proposed.
    case alteredProposal(id: String, sha256: String)

    public var description: String {
        switch self {
        case .sealMismatch(let seq, let id, let key, let stored, let recomputed):
            "entry \(id) (\(key)), chain #\(seq): sealed as \(stored) but its content now hashes to \(recomputed); the entry was changed after it was sealed"
        case .brokenLink(let seq, let id, let previous, let expected):
            "entry \(id), chain #\(seq): links to \(previous) but the seal before it is \(expected)"
        case .chainGap(let expected, let found, let id):
            "entry \(id): chain number \(found) where \(expected) was expected"
        case .outOfOrder(let seq, let id, let position, let after):
            "entry \(id), chain #\(seq): recorded at \(position), before the entry chained ahead of it (\(after))"
        case .unsealed(let id, let key):
            "entry \(id) (\(key)) was recorded before the chain's head but has no seal"
        case .invalidEntry(let id, let reason): "entry \(id): \(reason)"
        case .balanceMismatch(let key, let stored, let recomputed):
            "balance \(key): stored \(stored), but the lines sum to \(recomputed)"
        case .eventSumMismatch(let key, let stored, let recomputed):
            "event sums \(key): stored \(stored), but the events sum to \(recomputed)"
        case .headMismatch(let expected, let found): "the chain does not hold the recorded head \(expected): found \(found)"
        case .alteredProposal(let id, let sha):
            "proposal \(id): its content no longer has the SHA-256 \(sha.prefix(12))… taken when it was proposed; it was changed after it was made"
        }
    }
}

/// Walks the audit chain in chain order and checks each entry against its seal and the journal's
/// rules. Pure: the store feeds it entries one at a time, so memory stays constant.
public struct ChainVerifier: Sendable {
    public let accounts: [String: Account]
    public let funds: Set<String>
    /// The first problems found, in chain order (at most `VerifyReport.problemLimit`).
    public private(set) var problems: [VerifyProblem] = []
    /// How many problems were found in all.
    public private(set) var problemCount = 0
    /// Seals checked.
    public private(set) var checked: Int = 0
    /// Lines read.
    public private(set) var lines: Int = 0
    private var expectedSeq: Int64 = 1
    private var previous = AuditChain.genesis
    private var lastPosition = ChainPosition.start

    public init(accounts: [String: Account], funds: Set<String>) {
        self.accounts = accounts
        self.funds = funds
    }

    /// Checks the next entry of the chain with its stored seal. `declaredLines` is the line count
    /// its header declares.
    public mutating func check(_ sealed: SealedEntry, declaredLines: Int, chainSeq: Int64, previous storedPrevious: String, sha256: String) {
        let id = sealed.posted.entryID
        checked += 1
        lines += sealed.posted.entry.lines.count
        if chainSeq != expectedSeq { report(.chainGap(expected: expectedSeq, found: chainSeq, entryID: id)) }
        if storedPrevious != previous {
            report(.brokenLink(chainSeq: chainSeq, entryID: id, previous: storedPrevious, expected: previous))
        }
        if sealed.position <= lastPosition {
            report(.outOfOrder(chainSeq: chainSeq, entryID: id, position: sealed.position, after: lastPosition))
        }
        // Against the stored link, so that one altered entry is reported once, not for every
        // entry after it.
        let recomputed = AuditChain.seal(sealed, previous: storedPrevious)
        if recomputed != sha256 {
            report(.sealMismatch(chainSeq: chainSeq, entryID: id, eventKey: sealed.posted.entry.eventKey, stored: sha256, recomputed: recomputed))
        }
        if sealed.posted.entry.lines.count != declaredLines {
            report(.invalidEntry(entryID: id, reason: "has \(sealed.posted.entry.lines.count) lines but declares \(declaredLines)"))
        } else {
            do { try Journal.validate(sealed.posted.entry, accounts: accounts, funds: funds) } catch {
                report(.invalidEntry(entryID: id, reason: error.description))
            }
        }
        expectedSeq = chainSeq + 1
        previous = sha256
        lastPosition = max(lastPosition, sealed.position)
    }

    private mutating func report(_ problem: VerifyProblem) {
        problemCount += 1
        if problems.count < VerifyReport.problemLimit { problems.append(problem) }
    }
}

/// What `verify` checked and found.
public struct VerifyReport: Hashable, Sendable {
    /// Entries in the journal.
    public var entries: Int
    /// Seals recomputed, and the lines they covered.
    public var sealsChecked: Int
    public var linesChecked: Int
    /// The chain's last seal, as `SEQ:SHA256`; nil while nothing is sealed.
    public var head: String?
    /// Committed entries after the head, not sealed yet (they were committed after the sealer ran).
    public var pending: Int
    /// Stored balances (per day, month and all time) recomputed from the lines.
    public var balancesChecked: Int
    /// Stored event sums (per facility and event type, by day, month and all time) recomputed from the events.
    public var eventSumsChecked: Int
    /// Everything found wrong, in the order checked (at most `problemLimit` of them are listed).
    public var problems: [VerifyProblem]
    /// How many problems there were in all.
    public var problemCount: Int

    public static let problemLimit = 20

    public init(
        entries: Int, sealsChecked: Int, linesChecked: Int, head: String?, pending: Int, balancesChecked: Int, eventSumsChecked: Int = 0,
        problems: [VerifyProblem], problemCount: Int
    ) {
        self.eventSumsChecked = eventSumsChecked
        self.entries = entries
        self.sealsChecked = sealsChecked
        self.linesChecked = linesChecked
        self.head = head
        self.pending = pending
        self.balancesChecked = balancesChecked
        self.problems = problems
        self.problemCount = problemCount
    }

    /// True when every seal, link and balance holds.
    public var isIntact: Bool { problemCount == 0 }
}
