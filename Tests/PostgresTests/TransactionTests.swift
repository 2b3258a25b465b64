// Proves transactions against the real server: commit, rollback on error, and bounded retries of
// real serialization failures and deadlocks raised by PostgreSQL.
import Postgres
import TestSupport
import Testing

@Suite struct TransactionTests {
    @Test func commitsAndRollsBack() throws {
        let db = try TestDatabase.connect()
        try db.execute("CREATE TEMP TABLE t (v int)")
        try db.transaction { try $0.execute("INSERT INTO t VALUES (1)") }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (2)")
                throw Refused()
            }
        }
        #expect(try db.scalar(Int64.self, "SELECT sum(v) FROM t") == 1)
        #expect(!db.isInTransaction)
    }

    @Test func aSingleStatementIsRetriedWithoutATransaction() throws {
        let db = try TestDatabase.connect()
        try db.execute("CREATE TEMP TABLE r (v int)")
        var attempts = 0
        try db.retrying { c in
            attempts += 1
            // The statement commits on its own; a deadlock reported the first time is retried.
            if attempts == 1 { throw PostgresError(kind: .statement, code: .deadlockDetected, message: "deadlock detected") }
            try c.execute("INSERT INTO r VALUES (1)")
        }
        #expect(attempts == 2 && !db.isInTransaction)
        #expect(try db.scalar(Int64.self, "SELECT count(*) FROM r") == 1)
        #expect(throws: PostgresError.self) {
            try db.retrying(maxAttempts: 2) { _ in throw PostgresError(kind: .statement, code: .serializationFailure, message: "could not serialize") }
        }
    }

    @Test func retriesARealSerializationFailure() throws {
        try TestDatabase.withFreshDatabase { conninfo in
            let a = try TestDatabase.connect(conninfo)
            let b = try TestDatabase.connect(conninfo)
            try a.execute("CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)")
            try a.execute("INSERT INTO counter VALUES (1, 0)")
            var attempts = 0
            try a.transaction(.serializable) { tx in
                attempts += 1
                _ = try tx.scalar(Int64.self, "SELECT v FROM counter WHERE id = 1")  // takes the snapshot
                if attempts == 1 {
                    try b.execute("UPDATE counter SET v = v + 1 WHERE id = 1")  // commits in between
                }
                try tx.execute("UPDATE counter SET v = v + 10 WHERE id = 1")
            }
            #expect(attempts == 2)
            #expect(try a.scalar(Int64.self, "SELECT v FROM counter") == 11)
        }
    }

    @Test func retriesDeadlocksAndGivesUpAfterTheBound() throws {
        let db = try TestDatabase.connect()
        var attempts = 0
        try db.transaction { tx in
            attempts += 1
            if attempts < 3 {
                try tx.execute(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '40P01'; END $$")
            }
        }
        #expect(attempts == 3)

        attempts = 0
        #expect {
            try db.transaction(maxAttempts: 4) { tx in
                attempts += 1
                try tx.execute(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'always' USING ERRCODE = '40001'; END $$")
            }
        } throws: { ($0 as? PostgresError)?.code == .serializationFailure }
        #expect(attempts == 4)
        #expect(!db.isInTransaction)
    }

    @Test func otherErrorsAreNotRetried() throws {
        let db = try TestDatabase.connect()
        var attempts = 0
        #expect(throws: PostgresError.self) {
            try db.transaction { tx in
                attempts += 1
                try tx.execute("SELECT 1/0")
            }
        }
        #expect(attempts == 1)
    }
}
