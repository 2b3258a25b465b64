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
public enum AuditChain {
    /// The `previous` of the first entry in the chain.
    public static let genesis = String(repeating: "0", count: 64)

    /// The bytes that are hashed for an entry that follows `previous`.
    public static func canonicalEncoding(of sealed: SealedEntry, previous: String) -> [UInt8] {
        let posted = sealed.posted
        let entry = posted.entry
        var out = "dfc-ledger audit chain v1\n"
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

    public init(posted: PostedEntry, recordedXID: UInt64) {
        self.posted = posted
        self.recordedXID = recordedXID
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
