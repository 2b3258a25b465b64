import Crypto
import Dates

/// The tamper-evident chain over journal entries (DESIGN.md §2, invariant 7).
///
/// Each entry's seal is the SHA-256 of its canonical encoding, which begins with the previous
/// seal, so changing, removing or reordering any entry changes every later seal. Entries are
/// chained in recording order: by the id of the transaction that recorded them, then by entry id
/// (`ChainPosition`). The encoding, version 1, is UTF-8 text, one field per line, each line
/// `name value\n`; text values are written as `<byte count>:<bytes>` so no value can be confused
/// with the next field:
///
/// ```
/// dfc-ledger audit chain v1
/// previous <64 lowercase hex digits; 64 zeros for the first entry>
/// entry_id <decimal>
/// recorded_xid <decimal>
/// recorded_at_us <microseconds since 1970-01-01T00:00:00Z, decimal>
/// recorded_by <n>:<text>
/// event_key <n>:<text>
/// effective_date <YYYY-MM-DD>
/// description <n>:<text>
/// reverses <entry id, or ->
/// line_count <decimal>
/// line <line_no> <n>:<account> <n>:<fund> <n>:<facility, or 0: for none> <debit|credit> <amount in minor units> <currency>
/// …one `line` per line, in line number order
/// ```
///
/// The seal is the lowercase hex SHA-256 of those bytes. An auditor can recompute every seal
/// from an export of the journal with a few lines of any language.
///
/// Version 2 seals an entry posted under four eyes (one officer proposed it, another certified
/// it): the first line says `v2`, and after the lines come who proposed and who approved it:
///
/// ```
/// proposal <n>:<proposal id>
/// proposed_by <n>:<text>
/// proposed_at_us <microseconds since 1970-01-01T00:00:00Z>
/// approved_by <n>:<text>
/// approved_at_us <microseconds since 1970-01-01T00:00:00Z>
/// ```
///
/// Every other entry is sealed in version 1, so the seals made before version 2 existed still
/// verify.
public enum AuditChain {
    /// The `previous` of the first entry in the chain.
    public static let genesis = String(repeating: "0", count: 64)

    /// The bytes that are hashed for an entry that follows `previous`.
    public static func canonicalEncoding(of sealed: SealedEntry, previous: String) -> [UInt8] {
        let posted = sealed.posted
        let entry = posted.entry
        var out = sealed.approval == nil ? "dfc-ledger audit chain v1\n" : "dfc-ledger audit chain v2\n"
        out += "previous \(previous)\n"
        out += "entry_id \(posted.entryID)\n"
        out += "recorded_xid \(sealed.recordedXID)\n"
        out += "recorded_at_us \(posted.recordedAt.microsecondsSinceEpoch)\n"
        out += "recorded_by \(counted(posted.recordedBy))\n"
        out += "event_key \(counted(entry.eventKey))\n"
        out += "effective_date \(entry.effectiveDate)\n"
        out += "description \(counted(entry.description))\n"
        out += "reverses \(entry.reverses.map(String.init) ?? "-")\n"
        out += "line_count \(entry.lines.count)\n"
        for (index, line) in entry.lines.enumerated() {
            out += "line \(index + 1) \(counted(line.account)) \(counted(line.fund)) \(counted(line.facility ?? "")) "
            out += "\(line.side.rawValue) \(line.amount.minorUnits) \(line.amount.currency.code)\n"
        }
        if let a = sealed.approval {
            out += "proposal \(counted(a.proposalID))\n"
            out += "proposed_by \(counted(a.proposedBy))\n"
            out += "proposed_at_us \(a.proposedAt.microsecondsSinceEpoch)\n"
            out += "approved_by \(counted(a.approvedBy))\n"
            out += "approved_at_us \(a.approvedAt.microsecondsSinceEpoch)\n"
        }
        return Array(out.utf8)
    }

    /// The seal of an entry that follows `previous`: lowercase hex SHA-256.
    public static func seal(_ sealed: SealedEntry, previous: String) -> String {
        hex(SHA256.hash(data: canonicalEncoding(of: sealed, previous: previous)))
    }

    private static func counted(_ text: String) -> String { "\(text.utf8.count):\(text)" }

    /// Lowercase hex SHA-256 of any bytes (a statement file's, say), as seals are written.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An entry with the facts that place it in the chain.
public struct SealedEntry: Hashable, Sendable {
    public var posted: PostedEntry
    /// The recording transaction's id (PostgreSQL's 64-bit `xid8`).
    public var recordedXID: UInt64
    /// Who proposed and who certified the entry, when it was posted under four eyes.
    public var approval: EntryApproval?

    public init(posted: PostedEntry, recordedXID: UInt64, approval: EntryApproval? = nil) {
        self.posted = posted
        self.recordedXID = recordedXID
        self.approval = approval
    }

    public var position: ChainPosition { ChainPosition(recordedXID: recordedXID, entryID: posted.entryID) }
}

/// Where an entry sits in recording order. Transactions that finished before the sealer's
/// snapshot are sealed in one go, so this order never has to admit a late-committing entry in
/// the middle.
public struct ChainPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var recordedXID: UInt64
    public var entryID: Int64

    public init(recordedXID: UInt64, entryID: Int64) {
        self.recordedXID = recordedXID
        self.entryID = entryID
    }

    /// Before every entry.
    public static let start = ChainPosition(recordedXID: 0, entryID: 0)

    public static func < (a: ChainPosition, b: ChainPosition) -> Bool {
        (a.recordedXID, a.entryID) < (b.recordedXID, b.entryID)
    }

    public var description: String { "transaction \(recordedXID), entry \(entryID)" }
}

/// The four eyes on an entry: the proposal it was posted from, who proposed it and who approved
/// it, and when.
public struct EntryApproval: Hashable, Sendable {
    public var proposalID: String
    public var proposedBy: String
    public var proposedAt: Instant
    public var approvedBy: String
    public var approvedAt: Instant

    public init(proposalID: String, proposedBy: String, proposedAt: Instant, approvedBy: String, approvedAt: Instant) {
        self.proposalID = proposalID
        self.proposedBy = proposedBy
        self.proposedAt = proposedAt
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
    }
}
