import Dates
import Ledger
import Testing

@Suite struct AuditChainEncodingTests {
    let usd = Currency(code: "USD")!

    var sample: SealedEntry {
        let entry = NewEntry(
            eventKey: "adj-2026-11-001", effectiveDate: CivilDate(iso: "2026-11-27")!, description: "Reclass — Ω fee",
            lines: [
                JournalLine(account: "101000", fund: "FIN-DL", facility: "DPA-2026-0007", side: .debit, amount: Money(minorUnits: 125_000, currency: usd)),
                JournalLine(account: "251000", fund: "FIN-DL", side: .credit, amount: Money(minorUnits: 125_000, currency: usd)),
            ])
        let posted = PostedEntry(entryID: 7, entry: entry, recordedAt: Instant(microsecondsSinceEpoch: 1_795_998_503_123_456), recordedBy: "officer")
        return SealedEntry(posted: posted, recordedXID: 4_294_967_302)
    }

    /// The documented encoding, byte for byte (text lengths count UTF-8 bytes), and its SHA-256
    /// as Python's hashlib computes it from the same text.
    @Test func encodingIsTheDocumentedOne() {
        let text = String(decoding: AuditChain.canonicalEncoding(of: sample, previous: AuditChain.genesis), as: UTF8.self)
        #expect(
            text == """
                dfc-ledger audit chain v1
                previous 0000000000000000000000000000000000000000000000000000000000000000
                entry_id 7
                recorded_xid 4294967302
                recorded_at_us 1795998503123456
                recorded_by 7:officer
                event_key 15:adj-2026-11-001
                effective_date 2026-11-27
                description 18:Reclass — Ω fee
                reverses -
                line_count 2
                line 1 6:101000 6:FIN-DL 13:DPA-2026-0007 debit 125000 USD
                line 2 6:251000 6:FIN-DL 0: credit 125000 USD

                """)
        #expect(AuditChain.seal(sample, previous: AuditChain.genesis) == "92d0d8aa7fecaa900f048ded6cd2870f759b086eebf4422222d871995eb04b0e")
    }

    /// Version 2, for an entry posted under four eyes: the v1 fields, then who proposed and who
    /// approved it; each of those fields changes the seal, and an entry without them keeps v1.
    @Test func versionTwoSealsTheProposerAndTheApprover() {
        var certified = sample
        let approval = EntryApproval(
            proposalID: "P-000001", proposedBy: "alice", proposedAt: Instant(microsecondsSinceEpoch: 1_795_998_000_000_000), approvedBy: "bob",
            approvedAt: Instant(microsecondsSinceEpoch: 1_795_998_503_000_000))
        certified.approval = approval
        let text = String(decoding: AuditChain.canonicalEncoding(of: certified, previous: AuditChain.genesis), as: UTF8.self)
        #expect(text.hasPrefix("dfc-ledger audit chain v2\nprevious "))
        #expect(
            text.hasSuffix(
                """
                line 2 6:251000 6:FIN-DL 0: credit 125000 USD
                proposal 8:P-000001
                proposed_by 5:alice
                proposed_at_us 1795998000000000
                approved_by 3:bob
                approved_at_us 1795998503000000

                """))
        let seal = AuditChain.seal(certified, previous: AuditChain.genesis)
        #expect(seal != AuditChain.seal(sample, previous: AuditChain.genesis))
        var changed: [String] = []
        for field in 0..<5 {
            var a = approval
            switch field {
            case 0: a.proposalID = "P-000002"
            case 1: a.proposedBy = "mallory"
            case 2: a.proposedAt = Instant(microsecondsSinceEpoch: a.proposedAt.microsecondsSinceEpoch + 1)
            case 3: a.approvedBy = "mallory"
            default: a.approvedAt = Instant(microsecondsSinceEpoch: a.approvedAt.microsecondsSinceEpoch + 1)
            }
            var s = certified
            s.approval = a
            changed.append(AuditChain.seal(s, previous: AuditChain.genesis))
        }
        #expect(Set(changed + [seal]).count == 6, "every approval field is sealed")
    }

    @Test func everyFieldIsCovered() {
        let base = AuditChain.seal(sample, previous: AuditChain.genesis)
        var variants: [SealedEntry] = []
        for change in 0..<9 {
            var s = sample
            switch change {
            case 0: s.recordedXID += 1
            case 1: s.posted.entryID += 1
            case 2: s.posted.recordedAt = Instant(microsecondsSinceEpoch: s.posted.recordedAt.microsecondsSinceEpoch + 1)
            case 3: s.posted.recordedBy = "other"
            case 4: s.posted.entry.description += "."
            case 5: s.posted.entry.lines[1].facility = "DPA-2026-0007"
            case 6: s.posted.entry.lines[0].amount = Money(minorUnits: 125_001, currency: usd)
            case 7: s.posted.entry.reverses = 3
            default: s.posted.entry.lines.swapAt(0, 1)
            }
            variants.append(s)
        }
        let seals = variants.map { AuditChain.seal($0, previous: AuditChain.genesis) }
        #expect(Set(seals + [base]).count == 10)
        #expect(AuditChain.seal(sample, previous: base) != base, "the previous seal is covered")
    }

    @Test func verifierReportsOneAlteredEntryOnce() {
        let chart = ["101000": Account(number: "101000", title: "Cash", set: .proprietary, type: "asset", normalBalance: .debit, needsVerification: false),
                     "251000": Account(number: "251000", title: "Payable", set: .proprietary, type: "liability", normalBalance: .credit, needsVerification: false)]
        var entries: [SealedEntry] = []
        var seals: [String] = []
        var previous = AuditChain.genesis
        for i in 0..<5 {
            var s = sample
            s.posted.entryID = Int64(10 + i)
            s.recordedXID += UInt64(i)
            entries.append(s)
            previous = AuditChain.seal(s, previous: previous)
            seals.append(previous)
        }
        entries[2].posted.entry.description = "altered"
        var verifier = ChainVerifier(accounts: chart, funds: ["FIN-DL"])
        for (i, s) in entries.enumerated() {
            verifier.check(s, declaredLines: 2, chainSeq: Int64(i + 1), previous: i == 0 ? AuditChain.genesis : seals[i - 1], sha256: seals[i])
        }
        #expect(verifier.problemCount == 1 && verifier.checked == 5 && verifier.lines == 10)
        guard case .sealMismatch(3, 12, "adj-2026-11-001", seals[2], _) = verifier.problems.first else {
            Issue.record("\(verifier.problems)")
            return
        }
    }
}
