// Proves the camt.053 reader: balances and entries with their signs, dates and references, a batch
// entry split into its transactions, several statements in one file; and refusals: an XXE file, a
// "billion laughs" file, a statement that does not roll forward, a truncated file, a batch whose
// transactions do not add up.
import Dates
import Ledger
import Reconciliation
import Testing

@Suite struct Camt053Tests {
    static func statement(
        closing: String = "1246.50", batchSecond: String = "150.00", extra: String = "",
        period: String = "<FrToDt><FrDtTm>2026-11-01T00:00:00</FrDtTm><ToDtTm>2026-11-30T23:59:59</ToDtTm></FrToDt>"
    ) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
          <BkToCstmrStmt>
            <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-12-01T08:00:00</CreDtTm></GrpHdr>
            <Stmt>
              <Id>FBWT-FIN-DL-2026-11</Id>
              \(period)
              <Acct><Id><Othr><Id>4030-0001</Id></Othr></Id><Ccy>USD</Ccy></Acct>
              <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>
              <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">\(closing)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
              <Ntry>
                <NtryRef>E1</NtryRef><Amt Ccy="USD">250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
                <BookgDt><Dt>2026-11-28</Dt></BookgDt><ValDt><Dt>2026-11-29</Dt></ValDt><AcctSvcrRef>BANK-1</AcctSvcrRef>
                <NtryDtls><TxDtls><Refs><EndToEndId>LBX-2025-0003-03</EndToEndId></Refs></TxDtls></NtryDtls>
                <AddtlNtryInf>Installment 3 &amp; fees</AddtlNtryInf>
              </Ntry>
              <Ntry>
                <NtryRef>E2</NtryRef><Amt Ccy="USD">3.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><ValDt><Dt>2026-11-30</Dt></ValDt><AcctSvcrRef>FEE-77</AcctSvcrRef>
              </Ntry>
              <Ntry>
                <Amt Ccy="USD">250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><DtTm>2026-11-20T10:00:00</DtTm></BookgDt><AcctSvcrRef>BATCH-9</AcctSvcrRef>
                <NtryDtls>
                  <TxDtls><Refs><EndToEndId>REPAY-A</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="USD">100.00</Amt></TxAmt></AmtDtls></TxDtls>
                  <TxDtls><Refs><EndToEndId>REPAY-B</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="USD">\(batchSecond)</Amt></TxAmt></AmtDtls></TxDtls>
                </NtryDtls>
              </Ntry>
              <Ntry>
                <NtryRef>E4</NtryRef><Amt Ccy="USD">250.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-11-30</Dt></BookgDt>
              </Ntry>
            </Stmt>\(extra)
          </BkToCstmrStmt>
        </Document>
        """
    }

    static func refused(_ text: String, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        StatementReaderTests.refused(parts, sourceLocation: sourceLocation) { _ = try Camt053.read(Array(text.utf8), file: "nov.xml") }
    }

    @Test func aStatementWithABatchEntry() throws {
        let statements = try Camt053.read(Array(Self.statement().utf8), file: "nov.xml")
        #expect(statements.count == 1)
        let s = statements[0]
        #expect(s.id == "FBWT-FIN-DL-2026-11" && s.bankAccount == "4030-0001" && s.currency.code == "USD" && s.format == .camt053)
        #expect(s.opening == 100_000 && s.closing == 124_650)
        #expect(s.items.map(\.amount) == [25_000, -350, 10_000, 15_000, -25_000])
        #expect(s.items.map(\.reference) == ["LBX-2025-0003-03", "FEE-77", "REPAY-A", "REPAY-B", "E4"], "EndToEndId, else AcctSvcrRef, else NtryRef")
        #expect(s.items[0].date == CivilDate(iso: "2026-11-28")! && s.items[1].date == CivilDate(iso: "2026-11-30")!, "booking date, else value date")
        #expect(s.items[2].date == CivilDate(iso: "2026-11-20")!, "a booking date-time's day")
        #expect(s.items[0].description == "Installment 3 & fees" && s.items[2].bankReference == "BATCH-9")
        #expect(s.period == CivilDate(iso: "2026-11-01")!...CivilDate(iso: "2026-11-30")!, "FrToDt, not the first and last entry (11-20…11-30)")
        let unstated = try Camt053.read(Array(Self.statement(period: "").utf8), file: "nov.xml")[0]
        #expect(unstated.statedPeriod == nil && unstated.period == CivilDate(iso: "2026-11-20")!...CivilDate(iso: "2026-11-30")!, "without FrToDt, the entries' dates")
        #expect(StatementReader.detect(Array(Self.statement().utf8)) == .camt053)
    }

    @Test func badFilesAreRefusedAndNamed() {
        Self.refused(Self.statement(closing: "1246.51"), ["nov.xml, statement FBWT-FIN-DL-2026-11", "does not roll forward", "0.01 less than the closing balance"])
        Self.refused(Self.statement(batchSecond: "149.99"), ["NtryDtls/TxDtls", "add up to 249.99"])
        Self.refused(String(Self.statement().prefix(900)), ["nov.xml", "not well-formed XML"])
        Self.refused(Self.statement(closing: "12.345"), ["Bal CLBD/Amt", "12.345"])
        Self.refused(
            Self.statement(period: "<FrToDt><FrDtTm>2026-12-01T00:00:00</FrDtTm><ToDtTm>2026-11-30T23:59:59</ToDtTm></FrToDt>"),
            ["Stmt/FrToDt", "2026-12-01..2026-11-30", "on or before"])
        Self.refused(
            """
            <?xml version="1.0"?>
            <!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <Document><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>
            """, ["<!DOCTYPE", "refused"])
        Self.refused(
            """
            <?xml version="1.0"?>
            <!doctype lolz [<!entity lol "lol"><!entity lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <Document><BkToCstmrStmt><Stmt><Id>&lol2;</Id></Stmt></BkToCstmrStmt></Document>
            """, ["<!DOCTYPE", "refused"])
        Self.refused("<?xml version=\"1.0\"?><Document><Other/></Document>", ["no statement"])
    }
}
