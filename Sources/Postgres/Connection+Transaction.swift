#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The isolation level of a transaction (PostgreSQL manual §13.2).
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension Connection {
    /// Runs `body` inside `BEGIN … COMMIT` at the given isolation level.
    ///
    /// If the transaction fails with a serialization failure (40001) or a deadlock (40P01) — in
    /// the body or at COMMIT, where deferred constraint triggers run — it is rolled back and run
    /// again, up to `maxAttempts` times in all, with a short randomized pause between attempts. So
    /// `body` must be safe to run more than once: it should only talk to the database through the
    /// connection it is given and keep no effects outside it. Any other error rolls back and is
    /// rethrown.
    ///
    /// Transactions do not nest: calling this inside an open transaction is a programmer error.
    @discardableResult
    public func transaction<T>(
        _ isolation: IsolationLevel = .readCommitted, readOnly: Bool = false, maxAttempts: Int = 8,
        _ body: (Connection) throws -> T
    ) throws -> T {
        precondition(!isInTransaction, "transaction(_:) called inside an open transaction")
        precondition(maxAttempts >= 1)
        var attempt = 1
        while true {
            do {
                try execute(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")")
                let value = try body(self)
                try execute(unsafeSQL: "COMMIT")
                return value
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < maxAttempts {
                rollbackQuietly()
                logger.debug("retrying transaction after \(error.code?.rawValue ?? "?") (attempt \(attempt) of \(maxAttempts))")
                backoff(attempt: attempt)
                attempt += 1
            } catch {
                rollbackQuietly()
                throw error
            }
        }
    }

    /// Runs `body`, whose statements each commit on their own (no BEGIN: one round trip for a
    /// single statement, deferred constraints checked at its end), retrying serialization failures
    /// and deadlocks like `transaction`. For a body of one writing statement.
    @discardableResult
    public func retrying<T>(maxAttempts: Int = 8, _ body: (Connection) throws -> T) throws -> T {
        precondition(!isInTransaction, "retrying(_:) called inside an open transaction")
        var attempt = 1
        while true {
            do {
                return try body(self)
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < maxAttempts {
                logger.debug("retrying statement after \(error.code?.rawValue ?? "?") (attempt \(attempt) of \(maxAttempts))")
                backoff(attempt: attempt)
                attempt += 1
            }
        }
    }

    /// Rolls back an open or failed transaction; a lost connection has nothing to roll back.
    func rollbackQuietly() {
        try? settleInFlight()  // its error is what is being rolled back for
        guard isOpen, isInTransaction else { return }
        _ = try? execute(unsafeSQL: "ROLLBACK")
    }

    /// Sleeps a random 1…(5·2^attempt) ms (capped at 200 ms) so that retrying contenders spread out.
    private func backoff(attempt: Int) {
        let ceiling = min(200, 5 << min(attempt, 6))
        usleep(UInt32(Int.random(in: 1...ceiling) * 1000))
    }
}
