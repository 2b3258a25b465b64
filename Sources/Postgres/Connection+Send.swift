internal import CLibPQ

extension Connection {
    /// A statement sent with `send` and not waited for yet.
    public final class Sent {
        let text: String
        var outcome: Result<Rows, any Error>?
        init(text: String) { self.text = text }
    }

    /// Sends one statement and returns at once, so that the caller can go on working while the
    /// server runs it; `wait` returns its rows. One statement at most is in flight: any other
    /// statement on this connection (and the next `send`) first waits for it, and throws its error
    /// if it failed — the later statement would only have been told the transaction is aborted.
    public func send(_ sql: SQL) throws -> Sent {
        try settleInFlight()
        let text = sql.text
        // In blocking mode libpq has sent the whole statement when this returns.
        let sent = try withParameters(sql) { count, values in
            PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionError(sql: text) }
        let statement = Sent(text: text)
        inFlight = statement
        return statement
    }

    /// The rows of a statement from `send`, waiting for the server if it is still running it.
    public func wait(_ statement: Sent) throws -> Rows {
        if inFlight === statement { try settleInFlight() }
        guard let outcome = statement.outcome else {
            preconditionFailure("waited for a statement that this connection did not send")
        }
        return try outcome.get()
    }

    /// Reads the result of the statement in flight, if there is one; throws its error.
    func settleInFlight() throws {
        guard let statement = inFlight else { return }
        inFlight = nil
        let result = PQgetResult(handle)
        drainResults()  // to the end of the statement's results: a server that hung up is noticed here
        statement.outcome = Result { try check(result, sql: statement.text) }
        if case .failure(let error) = statement.outcome { throw error }
    }
}
