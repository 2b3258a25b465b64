// Proves the pure parts of the wrapper: exact decimals parse and print exactly, interpolation
// never splices a value into text, and conninfo strings are masked.
import Dates
import Postgres
import Testing

@Suite struct ValuesTests {
    @Test func numericsAreExact() {
        #expect(PostgresNumeric(exactly: "0.0525")?.significand == 525)
        #expect(PostgresNumeric(exactly: "0.0525")?.scale == 4)
        #expect(PostgresNumeric(exactly: "-12.50")?.description == "-12.50")
        #expect(PostgresNumeric(exactly: "12345678901234567890123456789012345678")?.scale == 0)
        #expect(PostgresNumeric(exactly: "123456789012345678901234567890123456789012") == nil, "over 38 digits")
        for bad in ["", "-", ".5", "5.", "1e5", "+1", "1,5", "NaN", "Infinity", " 1", "1.2.3"] {
            #expect(PostgresNumeric(exactly: bad) == nil, "\(bad)")
        }
        #expect(PostgresNumeric(significand: 5, scale: 3).description == "0.005")
        #expect(PostgresNumeric(significand: -5, scale: 3).description == "-0.005")
    }

    @Test func interpolationMakesParametersNeverText() {
        let name = "x'; DROP TABLE account; --"
        let limit: Int64 = 10
        let inner: SQL = "kind = \(Optional<String>.none)"
        let sql: SQL = "SELECT * FROM t WHERE name = \(name) AND \(inner) AND n < \(limit) ORDER BY \(identifier: "we\"ird")"
        #expect(sql.text == "SELECT * FROM t WHERE name = $1 AND kind = $2 AND n < $3 ORDER BY \"we\"\"ird\"")
        #expect(sql.parameters == [name, nil, "10"])
        #expect(!sql.description.contains("DROP"))
    }

    @Test func conninfoIsMaskedAndChecked() {
        let masked = Connection.maskedConninfo("host=/tmp port=5432 user=officer password=s3cret dbname=ledger")
        #expect(masked.contains("password=********"))
        #expect(!masked.contains("s3cret"))
        let uri = Connection.maskedConninfo("postgresql://officer:s3cret@localhost:5432/ledger")
        #expect(!uri.contains("s3cret"))
        #expect(uri.contains("user=officer"))
        #expect(Connection.maskedConninfo("host='unterminated password=s3cret") == "(unparseable conninfo)")
        #expect(Connection.conninfoSyntaxError("host=x bogus=1") != nil)
        #expect(Connection.conninfoSyntaxError("host=x port=1") == nil)
    }
}
