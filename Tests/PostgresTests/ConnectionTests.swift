// Proves the libpq wrapper against the real server: every decoded type and its errors, NULLs,
// Unicode, large values, parameters stored verbatim, errors with SQLSTATE, lost connections,
// statement timeouts and server notices routed to swift-log.
import Dates
import Logging
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite struct ConnectionTests {
    @Test func decodesEveryType() throws {
        let db = try TestDatabase.connect()
        let row = try #require(
            try db.query(
                """
                SELECT 9223372036854775807::bigint, (-2147483648)::int, 't'::bool, 'f'::bool,
                       '2024-02-29'::date, '2026-11-29 01:48:23.123456+01'::timestamptz,
                       12345678901234567890.123456789012345678::numeric, 0.0525::numeric(9,4),
                       'Grafit – 石墨 ✓ 🪨'::text, NULL::text, 42::smallint
                """
            ).first)
        #expect(try row.decode(Int64.self, at: 0) == Int64.max)
        #expect(try row.decode(Int32.self, at: 1) == Int32.min)
        #expect(try row.decode(Bool.self, at: 2) == true)
        #expect(try row.decode(Bool.self, at: 3) == false)
        #expect(try row.decode(CivilDate.self, at: 4) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(try row.decode(Instant.self, at: 5).description == "2026-11-29T00:48:23.123456Z")
        #expect(try row.decode(PostgresNumeric.self, at: 6).description == "12345678901234567890.123456789012345678")
        #expect(try row.decode(PostgresNumeric.self, at: 7) == PostgresNumeric(significand: 525, scale: 4))
        #expect(try row.decode(String.self, at: 8) == "Grafit – 石墨 ✓ 🪨")
        #expect(try row.decode(String?.self, at: 9) == nil)
        #expect(try row.decode(Int.self, at: 10) == 42)
    }

    @Test func decodingErrorsNameColumnIndexAndType() throws {
        let db = try TestDatabase.connect()
        let row = try #require(
            try db.query("SELECT 'abc'::text AS code, NULL::bigint AS amount, 3000000000::bigint AS big, 'NaN'::numeric AS rate, 'infinity'::date AS d")
                .first)
        func failure(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch { return String(describing: error) }
        }
        #expect(failure { _ = try row.decode(Int64.self, "code") } == "cannot decode column \"code\" (index 0, row 0) as Int64: \"abc\" is not a 64-bit integer")
        #expect(failure { _ = try row.decode(Int64.self, "amount") } == "cannot decode column \"amount\" (index 1, row 0) as Int64: unexpected NULL")
        #expect(failure { _ = try row.decode(Int32.self, "big") }.contains("as Int32: \"3000000000\" is not a 32-bit integer"))
        #expect(failure { _ = try row.decode(PostgresNumeric.self, "rate") }.contains("\"rate\" (index 3, row 0) as PostgresNumeric"))
        #expect(failure { _ = try row.decode(CivilDate.self, "d") }.contains("as CivilDate: \"infinity\""))
        #expect(failure { _ = try row.decode(Bool.self, "code") }.contains("is not a boolean"))
        #expect(failure { _ = try row.decode(String.self, "nope") }.contains("no such column"))
        #expect(try row.decode(Int64?.self, "amount") == nil)
    }

    @Test func parametersRoundTripVerbatim() throws {
        let db = try TestDatabase.connect()
        try db.execute("CREATE TEMP TABLE notes (id bigint PRIMARY KEY, body text, d date, n numeric, t timestamptz, ok bool)")
        let injection = "Robert'); DROP TABLE notes; -- \\ \" $1 %s"
        let megabyte = String(repeating: "é中🪨x", count: 1 << 18)  // 1 MiB of characters, 2.5 MiB of UTF-8
        let date = CivilDate(year: 2026, month: 2, day: 28)!
        let instant = Instant(rfc3339: "2026-11-29T00:48:23.000001Z")!
        let rate = PostgresNumeric(exactly: "-0.000000000000000000000000000000000001")!
        try db.execute("INSERT INTO notes VALUES (1, \(injection), \(date), \(rate), \(instant), \(true))")
        try db.execute("INSERT INTO notes VALUES (2, \(megabyte), NULL, NULL, NULL, NULL)")
        try db.execute("INSERT INTO notes VALUES (3, \(Optional<String>.none), \(Optional<CivilDate>.none), NULL, NULL, \(false))")
        let rows = try db.query("SELECT id, body, d, n, t, ok FROM notes ORDER BY id")
        #expect(rows.count == 3)
        #expect(try rows[0].decode(String.self, "body") == injection)
        #expect(try rows[0].decode(CivilDate.self, "d") == date)
        #expect(try rows[0].decode(PostgresNumeric.self, "n") == rate)
        #expect(try rows[0].decode(Instant.self, "t") == instant)
        #expect(try rows[1].decode(String.self, "body") == megabyte)
        #expect(try db.scalar(Int64.self, "SELECT octet_length(body) FROM notes WHERE id = 2") == Int64(megabyte.utf8.count))
        #expect(try rows[2].decode(String?.self, "body") == nil)
        #expect(rows[2].isNull(at: 2))
        #expect(try rows[2].decode(Bool.self, "ok") == false)
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM notes") == 3, "the injection did nothing")
    }

    @Test func constraintViolationsCarrySQLStateAndConstraint() throws {
        let db = try TestDatabase.connect()
        try db.execute(
            unsafeSQL: """
                CREATE TEMP TABLE parent (id int PRIMARY KEY);
                CREATE TEMP TABLE child (id int PRIMARY KEY, parent int CONSTRAINT child_parent_fk REFERENCES parent,
                    amount bigint NOT NULL CONSTRAINT child_amount_positive CHECK (amount > 0));
                INSERT INTO parent VALUES (1);
                INSERT INTO child VALUES (1, 1, 5);
                """)
        func error(_ sql: SQL) -> PostgresError? {
            do {
                try db.execute(sql)
                return nil
            } catch { return error as? PostgresError }
        }
        let dup = try #require(error("INSERT INTO child VALUES (\(1), \(1), \(5))"))
        #expect(dup.code == .uniqueViolation)
        #expect(dup.constraint == "child_pkey")
        #expect(dup.kind == .statement)
        #expect(dup.sql == "INSERT INTO child VALUES ($1, $2, $3)")
        #expect(dup.detail?.contains("already exists") == true)
        #expect(error("INSERT INTO child VALUES (2, 9, 5)")?.code == .foreignKeyViolation)
        let check = try #require(error("INSERT INTO child VALUES (3, 1, \(Int64(-5)))"))
        #expect(check.code == .checkViolation)
        #expect(check.constraint == "child_amount_positive")
        #expect(check.table == "child")
        #expect(error("INSERT INTO child VALUES (4, 1, NULL)")?.code == .notNullViolation)
        #expect(error("SELEC 1")?.code == .syntaxError)
        #expect(error("SELECT \("12x")::int")?.code == .invalidTextRepresentation)
        // Matchable in catch by SQLSTATE, and the value is not in the description.
        do {
            try db.execute("INSERT INTO child VALUES (\(1), \(1), \(Int64(777_777_777)))")
            Issue.record("expected a unique violation")
        } catch SQLState.uniqueViolation {
        } catch { Issue.record("wrong error \(error)") }
        #expect(!String(describing: dup).contains("777"))
        // The connection is still usable after errors.
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM child") == 1)
    }

    @Test func nulCharacterInParameterIsRefusedClearly() throws {
        let db = try TestDatabase.connect()
        #expect {
            try db.execute("SELECT \("a\u{0}b")::text")
        } throws: { ($0 as? PostgresError)?.message.contains("parameter $1 contains a NUL") == true }
    }

    @Test func terminatedBackendGivesClearError() throws {
        let victim = try TestDatabase.connect()
        let admin = try TestDatabase.connect()
        #expect(try admin.scalar(Bool.self, "SELECT pg_terminate_backend(\(Int64(victim.backendPID)))") == true)
        do {
            try victim.execute("SELECT 1")
            Issue.record("a terminated backend answered")
        } catch let error as PostgresError {
            #expect(error.kind == .connectionLost)
            #expect(String(describing: error).contains("lost the connection to PostgreSQL"))
            #expect(String(describing: error).contains("terminat") || String(describing: error).contains("closed"))
        }
        #expect(!victim.isOpen)
        #expect(throws: PostgresError.self) { try victim.execute("SELECT 1") }
    }

    @Test func aPreparedStatementIsPreparedOncePerConnectionAndText() throws {
        let db = try TestDatabase.connect()
        for n in [1, 2, 3] as [Int64] {
            #expect(try db.queryPrepared("SELECT \(n)::bigint * 2").first?.decode(Int64.self, at: 0) == n * 2)
        }
        // Still there after a transaction that failed (prepared statements are not transactional).
        #expect(throws: PostgresError.self) {
            try db.transaction { tx in _ = try tx.queryPrepared("SELECT 1 / \(Int64(0))::bigint") }
        }
        #expect(try db.queryPrepared("SELECT \(Int64(5))::bigint * 2").first?.decode(Int64.self, at: 0) == 10)
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM pg_prepared_statements") == 2)
        // An error names the statement, as for query().
        #expect { _ = try db.queryPrepared("SELECT * FROM no_such_table") } throws: {
            ($0 as? PostgresError)?.code == SQLState("42P01") && String(describing: $0).contains("no_such_table")
        }
    }

    @Test func aSentStatementRunsWhileTheClientWorksAndItsErrorIsItsOwn() throws {
        let db = try TestDatabase.connect()
        // Its rows, after another statement has waited for it.
        let sent = try db.send("SELECT g FROM generate_series(1, 3) g")
        #expect(try db.scalar(Int64.self, "SELECT 42") == 42)
        #expect(try db.wait(sent).map { try $0.decode(Int64.self, at: 0) } == [1, 2, 3])
        // In a transaction: the failed statement's own error comes from the next statement (not
        // "the transaction is aborted"), from wait, and the rollback leaves the connection usable.
        #expect {
            try db.transaction { tx in
                try tx.execute("CREATE TEMP TABLE sent_t (x int CHECK (x > 0))")
                let failing = try tx.send("INSERT INTO sent_t VALUES (-1)")
                defer { #expect(throws: PostgresError.self) { _ = try tx.wait(failing) } }
                try tx.execute("INSERT INTO sent_t VALUES (1)")
            }
        } throws: { ($0 as? PostgresError)?.code == .checkViolation }
        #expect(!db.isInTransaction)
        #expect(try db.scalar(Int64.self, "SELECT 1") == 1)
        // A backend terminated while a statement is in flight: a lost connection, as for query().
        let admin = try TestDatabase.connect()
        let slow = try db.send("SELECT pg_sleep(5)")
        #expect(try admin.scalar(Bool.self, "SELECT pg_terminate_backend(\(Int64(db.backendPID)))") == true)
        #expect { _ = try db.wait(slow) } throws: { ($0 as? PostgresError)?.kind == .connectionLost }
    }

    @Test func unreachableServerNamesTargetNeverPassword() throws {
        do {
            _ = try Connection(conninfo: "host=/nonexistent/socket port=5999 user=officer password=s3cret dbname=x connect_timeout=2")
            Issue.record("connected to nothing")
        } catch let error as PostgresError {
            #expect(error.kind == .connectionFailed)
            let text = String(describing: error)
            #expect(text.contains("host=/nonexistent/socket port=5999"))
            #expect(!text.contains("s3cret"))
            #expect(!error.debugDescription.contains("s3cret"))
        }
    }

    @Test func statementTimeoutIsACleanError() throws {
        let db = try TestDatabase.connect(options: ConnectionOptions(statementTimeoutMilliseconds: 100))
        try db.execute("CREATE TEMP TABLE t (v int)")
        #expect {
            try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (1)")
                try tx.execute("SELECT pg_sleep(5)")
            }
        } throws: { ($0 as? PostgresError)?.code == .queryCanceled }
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM t") == 0, "the transaction rolled back")
    }

    @Test func sessionsRunWithoutJITUnlessAsked() throws {
        #expect(try TestDatabase.connect().scalar(String.self, "SHOW jit") == "off")
        #expect(try TestDatabase.connect(options: ConnectionOptions(jit: true)).scalar(Bool.self, "SELECT setting = reset_val FROM pg_settings WHERE name = 'jit'") == true,
                "jit: true leaves the server's setting")
    }

    @Test func noticesGoToTheLogger() throws {
        let captured = CapturedLines()
        let logger = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
        let db = try Connection(conninfo: TestDatabase.conninfo, logger: logger)
        try db.execute(unsafeSQL: "DO $$ BEGIN RAISE NOTICE 'graphite %', 42; RAISE WARNING 'careful'; END $$")
        let lines = captured.lines.withLock { $0 }
        #expect(lines.contains("notice graphite 42"))
        #expect(lines.contains("warning careful"))
    }
}

final class CapturedLines: Sendable {
    let lines = Mutex<[String]>([])
}

/// A swift-log handler that keeps "level message" lines.
struct CapturingHandler: LogHandler {
    let captured: CapturedLines
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        captured.lines.withLock { $0.append("\(event.level) \(event.message)") }
    }
}
