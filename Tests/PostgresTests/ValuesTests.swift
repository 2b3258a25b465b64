// Proves the pure value types and SQL building: dates, instants and exact decimals parse and
// print exactly, refuse what is not a value, and interpolation never splices a value into text.
import Postgres
import Testing

@Suite struct ValuesTests {
    @Test func datesAreRealCalendarDates() {
        #expect(PostgresDate(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(PostgresDate(iso: "2026-02-30") == nil)
        #expect(PostgresDate(iso: "2023-02-29") == nil)
        #expect(PostgresDate(iso: "2026-13-01") == nil)
        #expect(PostgresDate(iso: "2026-1-01") == nil)
        #expect(PostgresDate(iso: "0000-01-01") == nil)
        #expect(PostgresDate(iso: "2026-01-01x") == nil)
        #expect(PostgresDate(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(PostgresDate(daysSinceEpoch: 20_786).description == "2026-11-29")
        for days in stride(from: -800_000, through: 2_900_000, by: 997) {
            #expect(PostgresDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
    }

    @Test func timestampsParseRFC3339AndPrintUTC() throws {
        let t = try #require(PostgresTimestamp(rfc3339: "2026-11-29T00:48:23Z"))
        #expect(t.description == "2026-11-29T00:48:23Z")
        #expect(PostgresTimestamp(rfc3339: "2026-11-29T01:48:23+01:00") == t)
        #expect(PostgresTimestamp(rfc3339: "2026-11-28 19:18:23-05:30") == t)
        #expect(PostgresTimestamp(rfc3339: "2026-11-29 00:48:23+00") == t)
        #expect(PostgresTimestamp(rfc3339: "2026-11-29T00:48:23.5Z")?.description == "2026-11-29T00:48:23.5Z")
        #expect(PostgresTimestamp(rfc3339: "2026-11-29T00:48:23.000001Z")?.microsecondsSinceEpoch == t.microsecondsSinceEpoch + 1)
        #expect(PostgresTimestamp(rfc3339: "1969-12-31T23:59:59.999999Z")?.description == "1969-12-31T23:59:59.999999Z")
        #expect(PostgresTimestamp(rfc3339: "2026-11-29T00:48:23.1234567Z") == nil, "more than microseconds")
        #expect(PostgresTimestamp(rfc3339: "2026-11-29T00:48:23") == nil, "no zone")
        #expect(PostgresTimestamp(rfc3339: "2026-11-29T24:00:00Z") == nil)
        #expect(PostgresTimestamp(rfc3339: "2026-02-30T00:00:00Z") == nil)
    }

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
