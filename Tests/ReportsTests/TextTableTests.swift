// Proves the renderers: aligned text tables, RFC 4180 CSV, and CSV cells neutralized against
// formula injection while plain numbers stay numbers.
import Reports
import Testing

@Suite struct TextTableTests {
    @Test func rendersAlignedText() {
        var table = TextTable(columns: [.init("account"), .init("balance", .right)])
        table.append(["101000", "1,250.00"])
        table.append(["135000", "-5.00"])
        #expect(
            table.renderText() == """
                account   balance
                -------  --------
                101000   1,250.00
                135000      -5.00

                """)
    }

    @Test func rendersCSVWithQuotingAndCRLF() {
        var table = TextTable(columns: [.init("memo"), .init("amount")])
        table.append(["Graphite, Alaska", "-125.00"])
        table.append(["say \"hi\"\nthere", "0"])
        #expect(table.renderCSV() == "memo,amount\r\n\"Graphite, Alaska\",-125.00\r\n\"say \"\"hi\"\"\nthere\",0\r\n")
    }

    @Test func neutralizesFormulaInjection() {
        #expect(CSVCell.escape("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0")
        #expect(CSVCell.escape("+1+1") == "'+1+1")
        #expect(CSVCell.escape("-2+3") == "'-2+3")
        #expect(CSVCell.escape("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVCell.escape("\t=1") == "'\t=1")
        #expect(CSVCell.escape("=HYPERLINK(\"x\",\"y\")") == "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")
        #expect(CSVCell.escape("-125.00") == "-125.00")
        #expect(CSVCell.escape("-7") == "-7")
        #expect(CSVCell.escape("-") == "'-")
        #expect(CSVCell.escape("-1.") == "'-1.")
        #expect(CSVCell.escape("plain") == "plain")
    }
}

@Suite struct JSONOutputTests {
    /// An absent optional is written as null, not left out: a report's JSON keeps its keys.
    @Test func absentOptionalsAreNull() throws {
        let report = try TrialBalanceReport(balances: [], accounts: [], asOf: "2026-11-30", knownAt: nil)
        let json = try JSONOutput.render(report)
        #expect(json.contains("\"known_at\" : null"), "\(json)")
        let known = try JSONOutput.render(TrialBalanceReport(balances: [], accounts: [], asOf: "2026-11-30", knownAt: "2026-12-01T00:00:00Z"))
        #expect(known.contains("\"known_at\" : \"2026-12-01T00:00:00Z\""), "\(known)")
    }

    /// Streamed a field and an element at a time, a report prints the bytes `render` prints:
    /// keys in order and snake_case, arrays empty and not, nested values, nulls.
    @Test func streamedOutputIsRendersOutput() throws {
        struct Row: Encodable { var entryIds: [Int64]; var amount: String; var nested: [String: [Int]] }
        struct Report: Encodable {
            var status = "breaks"
            var unmatchedLedger: [Row] = [Row(entryIds: [7, 8], amount: "1.00", nested: ["a": []]), Row(entryIds: [], amount: "-2.50", nested: [:])]
            var differences: [Row] = []
            var rollForward = ["opening": "0.00", "closing": "1.00"]
            @NullWhenAbsent var knownAt: String? = nil
            var entries = 3
        }
        for value in [Report(), Report(unmatchedLedger: [], differences: [Row(entryIds: [1], amount: "0.01", nested: [:])])] {
            var streamed = ""
            try JSONOutput.stream(value) { streamed += $0 }
            let rendered = try JSONOutput.render(value)
            #expect(streamed == rendered, "\(streamed)\n----\n\(rendered)")
        }
        var streamed = ""
        let trialBalance = try TrialBalanceReport(balances: [], accounts: [], asOf: "2026-11-30", knownAt: nil)
        try JSONOutput.stream(trialBalance) { streamed += $0 }
        #expect(streamed == (try JSONOutput.render(trialBalance)))
    }
}
