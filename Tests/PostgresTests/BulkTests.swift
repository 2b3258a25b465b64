// Proves the bulk paths against the real server: COPY FROM STDIN of 100k rows (and its abandonment
// leaving nothing), pipelines that are atomic and leave the connection usable, and a 1M-row
// result streamed in bounded memory.
import Postgres
import TestSupport
import Testing

@Suite struct BulkTests {
    @Test func copiesOneHundredThousandRows() throws {
        let db = try TestDatabase.connect()
        try db.execute("CREATE TEMP TABLE lines (id bigint, memo text, amount bigint)")
        let copied = try db.copyIn("COPY lines (id, memo, amount) FROM STDIN") { copy in
            for i in 0..<100_000 {
                copy.append(Int64(i))
                copy.append(i % 1000 == 0 ? "tab\there\nnewline \\ back" : (i % 7 == 0 ? nil : "memo \(i) – ü"))
                copy.append(Int64(i) * -3)
                try copy.endRow()
            }
        }
        #expect(copied == 100_000)
        let check = try #require(try db.query("SELECT count(*), sum(id), sum(amount), count(memo) FROM lines").first)
        #expect(try check.decode(Int64.self, at: 0) == 100_000)
        #expect(try check.decode(Int64.self, at: 1) == 4_999_950_000)
        #expect(try check.decode(Int64.self, at: 2) == -14_999_850_000)
        #expect(try check.decode(Int64.self, at: 3) == 100_000 - 14_286 + 15)  // nulls at i % 7 == 0 except i % 1000 == 0
        #expect(try db.scalar(String.self, "SELECT memo FROM lines WHERE id = 0") == "tab\there\nnewline \\ back")
        #expect(try db.scalar(String.self, "SELECT memo FROM lines WHERE id = 1") == "memo 1 – ü")
    }

    @Test func abandonedCopyWritesNothing() throws {
        let db = try TestDatabase.connect()
        try db.execute("CREATE TEMP TABLE lines (id bigint)")
        struct BadRow: Error {}
        #expect(throws: BadRow.self) {
            try db.copyIn("COPY lines FROM STDIN") { copy in
                for i in 0..<50_000 {
                    copy.append(Int64(i))
                    try copy.endRow()
                }
                throw BadRow()
            }
        }
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM lines") == 0)
        // A row the server refuses also fails the whole COPY.
        #expect {
            try db.copyIn("COPY lines FROM STDIN") { copy in
                copy.append(Int64(1))
                try copy.endRow()
                copy.append("not a number")
                try copy.endRow()
            }
        } throws: { ($0 as? PostgresError)?.code == .invalidTextRepresentation }
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM lines") == 0)
    }

    @Test func aConnectionLostDuringCopyLeavesNothing() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let admin = try TestDatabase.connect(conninfo)
            try admin.execute("CREATE TABLE copied (id bigint)")
            let db = try TestDatabase.connect(conninfo)
            let pid = try #require(try db.scalar(Int32.self, "SELECT pg_backend_pid()"))
            #expect(throws: PostgresError.self) {
                try db.copyIn("COPY copied FROM STDIN") { copy in
                    for i in 0..<2_000_000 {
                        copy.append(Int64(i))
                        try copy.endRow()
                        // Half-way through, the server side of the connection goes away.
                        if i == 500_000 { _ = try admin.scalar(Bool.self, "SELECT pg_terminate_backend(\(pid))") }
                    }
                }
            }
            #expect(try admin.scalar(Int64.self, "SELECT count(*) FROM copied") == 0)
        }
    }

    @Test func pipelineFailureRollsBackTheBatchAndKeepsTheConnection() throws {
        let db = try TestDatabase.connect()
        try db.execute("CREATE TEMP TABLE t (id int PRIMARY KEY)")
        do {
            _ = try db.pipeline([
                "INSERT INTO t VALUES (\(1))",
                "INSERT INTO t VALUES (\(2))",
                "INSERT INTO t VALUES (\(1))",  // duplicate key
                "INSERT INTO t VALUES (\(4))",
                "INSERT INTO t VALUES (\(5))",
            ])
            Issue.record("the pipeline should have failed")
        } catch let error as PostgresError {
            #expect(error.code == .uniqueViolation)
            #expect(error.statementIndex == 2)
        }
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM t") == 0, "statements 1 and 2 rolled back")
        let results = try db.pipeline((10..<15).map { "INSERT INTO t VALUES (\($0)) RETURNING id" })
        #expect(try results.map { try $0[0].decode(Int.self, at: 0) } == [10, 11, 12, 13, 14])
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM t") == 5)
    }

    @Test func largePipelineDoesNotDeadlock() throws {
        let db = try TestDatabase.connect()
        // Results bigger than the socket buffers: the sender must read while it writes.
        let results = try db.pipeline((0..<2000).map { "SELECT repeat('x', 2000), \($0)" })
        #expect(results.count == 2000)
        #expect(try results[1999][0].decode(Int.self, at: 1) == 1999)
    }

    @Test func streamsAMillionRowsInBoundedMemory() throws {
        let db = try TestDatabase.connect()
        let before = TestDatabase.residentBytes()
        var peak = before
        var sum: Int64 = 0
        var seen = 0
        // Buffered whole, this result would take well over 200 MB.
        let count = try db.stream("SELECT g, repeat('x', 200) FROM generate_series(1, 1000000) g") { row in
            sum += try row.decode(Int64.self, at: 0)
            seen += 1
            if seen % 50_000 == 0 { peak = max(peak, TestDatabase.residentBytes()) }
        }
        peak = max(peak, TestDatabase.residentBytes())
        #expect(count == 1_000_000)
        #expect(sum == 500_000_500_000)
        #expect(peak - before < 64 << 20, "grew \((peak - before) >> 20) MiB while streaming")
    }

    @Test func streamStopsCleanlyWhenTheConsumerThrows() throws {
        let db = try TestDatabase.connect()
        struct Enough: Error {}
        var seen = 0
        #expect(throws: Enough.self) {
            try db.stream("SELECT g FROM generate_series(1, 10000000) g") { _ in
                seen += 1
                if seen == 10 { throw Enough() }
            }
        }
        #expect(seen == 10)
        #expect(try db.scalar(Int64.self, "SELECT 7") == 7, "the connection is usable afterwards")
    }
}
