// Proves the statement readers on valid and malformed input: CSV (DESIGN.md §5's columns, a bank's
// debit/credit layout, balances given or run), BAI2 (continuations, funds types, references,
// every control total and record count), the roll-forward check naming the difference, and
// format detection.
import Dates
import Foundation
import Ledger
import Reconciliation
import Testing

@Suite struct StatementReaderTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    static func day(_ iso: String) -> CivilDate { CivilDate(iso: iso)! }

    /// Expects `body` to throw an InputError whose description holds every one of `parts`.
    static func refused(_ parts: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a refusal naming \(parts)", sourceLocation: sourceLocation)
        } catch let error as InputError {
            for p in parts { #expect(error.description.contains(p), "\(error.description) should name \(p)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("expected an InputError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: CSV

    @Test func aCSVStatementWithRunningBalances() throws {
        let s = try CSVStatement.read(
            Self.bytes(
                """
                date,amount,reference,description,balance
                2026-11-02,250000.00,DISB-2026-0007-2,Borrowing proceeds,1250000.00
                2026-11-10,-5000000.00,TRS-884410,"Second tranche, DPA-2026-0007",-3750000.00
                2026-11-28,4704816.11,LBX-2025-0003-03,Installment 3,954816.11

                """), file: "fbwt.csv")
        #expect(s.format == .csv && s.currency.code == "USD" && s.bankAccount == "")
        #expect(s.opening == 100_000_000 && s.closing == 95_481_611, "opening = first balance − first amount")
        #expect(s.items.map(\.amount) == [25_000_000, -500_000_000, 470_481_611])
        #expect(s.items[1].reference == "TRS-884410" && s.items[1].description == "Second tranche, DPA-2026-0007" && s.items[1].location == "row 3")
        #expect(s.period == Self.day("2026-11-02")...Self.day("2026-11-28"))
        #expect(s.id.hasPrefix("csv-") && s.sha256.count == 64)
        // The same bytes are the same statement; one byte more is another.
        #expect(try CSVStatement.read(Self.bytes("date,amount,reference,description\n2026-11-02,1.00,R,x\n"), file: "a", opening: 0, closing: 100).id
            != (try CSVStatement.read(Self.bytes("date,amount,reference,description\n2026-11-02,1.00,R,y\n"), file: "a", opening: 0, closing: 100).id))
    }

    @Test func aCSVStatementWithoutBalancesTakesThemGivenAndMustRollForward() throws {
        let text = "date,amount,reference,description\n2026-11-02,100.00,R1,in\n2026-11-03,-40.00,R2,out\n"
        let s = try CSVStatement.read(Self.bytes(text), file: "s.csv", opening: 1_000, closing: 7_000)
        #expect(s.items.count == 2 && s.closing == 7_000)
        Self.refused(["s.csv", "does not roll forward", "opening 10.00", "70.01", "0.01 less than the closing balance"]) {
            _ = try CSVStatement.read(Self.bytes(text), file: "s.csv", opening: 1_000, closing: 7_001)
        }
        Self.refused(["--opening", "--closing"]) { _ = try CSVStatement.read(Self.bytes(text), file: "s.csv") }
        // A balance column and balances given: which one is meant?
        Self.refused(["balance column"]) {
            _ = try CSVStatement.read(Self.bytes("date,amount,reference,description,balance\n2026-11-02,1.00,R,x,1.00\n"), file: "b.csv", opening: 0, closing: 100)
        }
    }

    @Test func badCSVRowsAreNamedByRowColumnAndValue() {
        Self.refused(["b.csv", "row 3", "balance", "11.00", "should be 12.00"]) {
            _ = try CSVStatement.read(Self.bytes("date,amount,reference,description,balance\n2026-11-02,1.00,R,x,10.00\n2026-11-03,2.00,R,y,11.00\n"), file: "b.csv")
        }
        Self.refused(["row 2", "amount", "1,000.00"]) {
            _ = try CSVStatement.read(Self.bytes("date,amount,reference,description\n2026-11-02,\"1,000.00\",R,x\n"), file: "b.csv", opening: 0, closing: 0)
        }
        Self.refused(["row 2", "date", "30/11/2026"]) {
            _ = try CSVStatement.read(Self.bytes("date,amount,reference,description\n30/11/2026,1.00,R,x\n"), file: "b.csv", opening: 0, closing: 100)
        }
        Self.refused(["row 2", "amount", "1.005", "USD"]) {
            _ = try CSVStatement.read(Self.bytes("date,amount,reference,description\n2026-11-02,1.005,R,x\n"), file: "b.csv", opening: 0, closing: 100)
        }
        Self.refused(["posted_on", "not a column"]) {
            _ = try CSVStatement.read(Self.bytes("posted_on,amount,reference,description\n2026-11-02,1.00,R,x\n"), file: "b.csv", opening: 0, closing: 100)
        }
        Self.refused(["no items"]) { _ = try CSVStatement.read(Self.bytes("date,amount,reference,description\n"), file: "b.csv", opening: 0, closing: 0) }
    }

    @Test func aBanksDebitCreditLayout() throws {
        let layout = try #require(CSVStatement.Layout(mapping: "date=Booking Date,debit=Out,credit=In,reference=Ref,description=Text,balance=Balance"))
        let text = """
            Booking Date,Value Date,Text,Ref,Out,In,Balance,Branch
            2026-11-02,2026-11-02,Interest received,LBX-1,,1250.00,11250.00,7
            2026-11-03,2026-11-04,Wire fee,FEE-1,15.00,,11235.00,7

            """
        let s = try CSVStatement.read(Self.bytes(text), file: "bank.csv", layout: layout)
        #expect(s.items.map(\.amount) == [125_000, -1_500] && s.opening == 1_000_000 && s.closing == 1_123_500)
        Self.refused(["row 2", "Out/In", "exactly one"]) {
            _ = try CSVStatement.read(Self.bytes("Booking Date,Text,Ref,Out,In,Balance\n2026-11-02,x,R,1.00,2.00,1.00\n"), file: "bank.csv", layout: layout)
        }
        #expect(CSVStatement.Layout(mapping: "date=D,amount=A,debit=X,credit=Y,reference=R,description=T") == nil, "a signed amount or debit/credit, not both")
        #expect(CSVStatement.Layout(mapping: "date=D,amount=A,reference=R") == nil, "a description column is needed")
        #expect(CSVStatement.Layout(mapping: "date=D,amount=A,reference=R,description=T,colour=C") == nil)
        // A euro statement: two digits too, the currency named.
        let euro = try CSVStatement.read(Self.bytes("date,amount,reference,description\n2026-11-02,1.50,R,x\n"), file: "e.csv", currency: Currency(code: "EUR")!, opening: 0, closing: 150)
        #expect(euro.currency.code == "EUR" && euro.items[0].amount == 150)
    }

    // MARK: BAI2

    /// Two accounts, a continuation, a value-dated credit; every control total ties
    /// (Tests/Fixtures/statements, shared with the CLI tests).
    static let bai2 = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/statements/two-accounts.bai"), encoding: .utf8)

    @Test func aBAI2FileOfTwoAccounts() throws {
        let statements = try BAI2.read(Self.bytes(Self.bai2), file: "nov.bai")
        #expect(statements.count == 2)
        let first = statements[0]
        #expect(first.id == "bai2-F20261201-1234567890-2026-11-30" && first.bankAccount == "1234567890" && first.format == .bai2)
        #expect(first.opening == 1_000_000 && first.closing == 1_250_000)
        #expect(first.items.map(\.amount) == [300_000, -50_000], "credit 195 positive, debit 475 negative")
        #expect(first.items[0].date == Self.day("2026-11-28"), "funds type V: the value date")
        #expect(first.items[1].date == Self.day("2026-11-30"), "else the group's as-of date")
        #expect(first.period == Self.day("2026-11-28")...Self.day("2026-11-30"), "the as-of date, widened to the value-dated item")
        #expect(first.items[0].reference == "CUST-001" && first.items[0].bankReference == "BR-001", "the customer reference first")
        #expect(first.items[1].reference == "BR-002", "else the bank reference")
        #expect(first.items[0].description == "Wire from Sweetwater Uranium Partners LLC payment 3", "the 88 continues the text")
        #expect(statements[1].currency.code == "USD" && statements[1].items.map(\.amount) == [-100], "the group's currency")
        #expect(StatementReader.detect(Self.bytes(Self.bai2)) == .bai2)
    }

    @Test func everyBAI2ControlTotalAndCountIsChecked() {
        func broken(_ from: String, _ to: String) -> [UInt8] {
            let text = Self.bai2.replacingOccurrences(of: from, with: to)
            #expect(text != Self.bai2, "the fixture has \(from)")
            return Self.bytes(text)
        }
        Self.refused(["nov.bai", "line 7", "account control total", "2600001", "does not tie"]) { _ = try BAI2.read(broken("49,2600000,5/", "49,2600001,5/"), file: "nov.bai") }
        Self.refused(["line 7", "number of records", "03, 16, 88 and 49"]) { _ = try BAI2.read(broken("49,2600000,5/", "49,2600000,4/"), file: "nov.bai") }
        Self.refused(["line 11", "group control total"]) { _ = try BAI2.read(broken("98,2601000,2,10/", "98,2601001,2,10/"), file: "nov.bai") }
        Self.refused(["line 11", "number of accounts", "2 accounts"]) { _ = try BAI2.read(broken("98,2601000,2,10/", "98,2601000,3,10/"), file: "nov.bai") }
        Self.refused(["line 12", "file control total"]) { _ = try BAI2.read(broken("99,2601000,1,12/", "99,2600999,1,12/"), file: "nov.bai") }
        Self.refused(["line 12", "number of records", "12 records"]) { _ = try BAI2.read(broken("99,2601000,1,12/", "99,2601000,1,11/"), file: "nov.bai") }
        Self.refused(["truncated", "99"]) { _ = try BAI2.read(broken("99,2601000,1,12/\n", ""), file: "nov.bai") }
        Self.refused(["line 5", "record type", "77"]) { _ = try BAI2.read(broken("88,Partners", "77,Partners"), file: "nov.bai") }
        Self.refused(["line 6", "type code", "975"]) { _ = try BAI2.read(broken("16,475,50000", "16,975,50000"), file: "nov.bai") }
        Self.refused(["line 6", "funds type", "Q"]) { _ = try BAI2.read(broken("16,475,50000,Z", "16,475,50000,Q"), file: "nov.bai") }
        Self.refused(["line 4", "amount", "3000.00"]) { _ = try BAI2.read(broken("16,195,300000,", "16,195,3000.00,"), file: "nov.bai") }
        Self.refused(["line 3", "010", "015"]) { _ = try BAI2.read(broken("03,1234567890,USD,010,1000000,,,015,1250000,,/", "03,1234567890,USD,040,1000000,,,045,1250000,,/"), file: "nov.bai") }
    }

    @Test func aBAI2AccountThatDoesNotRollForwardIsRefusedWithTheDifference() {
        // The closing ledger 0.01 higher, and the control totals made to tie with it.
        let text = Self.bai2.replacingOccurrences(of: "015,1250000", with: "015,1250001").replacingOccurrences(of: "49,2600000,5/", with: "49,2600001,5/")
            .replacingOccurrences(of: "98,2601000,2,10/", with: "98,2601001,2,10/").replacingOccurrences(of: "99,2601000,1,12/", with: "99,2601001,1,12/")
        Self.refused(["nov.bai, account 1234567890", "does not roll forward", "0.01 less than the closing balance"]) { _ = try BAI2.read(Self.bytes(text), file: "nov.bai") }
    }

    @Test func formatsAreDetected() {
        #expect(StatementReader.detect(Self.bytes("\u{FEFF}\n01,A,B,261201,0800,1,,,2/")) == .bai2)
        #expect(StatementReader.detect(Self.bytes("<?xml version=\"1.0\"?><Document/>")) == .camt053)
        #expect(StatementReader.detect(Self.bytes("date,amount,reference,description\n")) == .csv)
    }
}

/// Real banks' files: the samples the MIT-licensed `bai2` package ships (Tests/Fixtures/statements/bai2-package).
@Suite struct RealBAI2FilesTests {
    static func file(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/statements/bai2-package/\(name)")
        return Array(try Data(contentsOf: url))
    }

    @Test func aNatWestFileWithContinuedSummariesAndTexts() throws {
        let s = try #require(try BAI2.read(try Self.file("nwb_example.bai2"), file: "nwb").first)
        #expect(s.currency.code == "GBP" && s.bankAccount == "88888888 600004" && s.opening == 36_521 && s.closing == 33_845)
        #expect(s.items.map(\.amount) == [-971, -100, -123, -1_571, 89])
        #expect(s.items[4].description == "TFR XBANKGO24007680SJ CAT JPY 2 GBPXBANKGO24007680BGC INTERNATIONAL-5373 CLIE NT SECCY AC TFR")
    }

    @Test func aSiliconValleyBankFileOfSeveralDays() throws {
        let statements = try BAI2.read(try Self.file("svb_us_example.bai2"), file: "svb")
        #expect(statements.count >= 2 && statements.allSatisfy { $0.currency.code == "USD" && $0.bankAccount == "1234567890" })
        #expect(statements[0].opening == 34_726_979 && statements[0].closing == 35_217_175 && statements[0].items.map(\.amount) == [490_196])
        #expect(statements[0].items[0].description == "SOME PAYMENT ACH OFFSET" && statements[0].items[0].reference == "172629")
    }

    @Test func aCitiSampleWhoseBalancesDoNotMoveIsRefused() {
        // Its ledger balances stay at 100.00 while a credit of 0.01 arrives: it does not roll forward.
        StatementReaderTests.refused(["citi, account 77777777", "does not roll forward", "0.01 more than the closing balance (GBP)"]) {
            _ = try BAI2.read(try Self.file("citi_example.bai2"), file: "citi")
        }
    }

    @Test func accountsWithoutBalancesCannotBeReconciled() throws {
        // Blank control totals are read as zero; but an account without its opening and closing
        // ledger balances cannot be rolled forward, and says so.
        StatementReaderTests.refused(["blank", "line 3", "010", "015"]) { _ = try BAI2.read(try Self.file("account_trailer_amount_blank_example.bai2"), file: "blank") }
    }
}
