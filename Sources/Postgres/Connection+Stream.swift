internal import CLibPQ

extension Connection {
    /// Runs a query in libpq's single-row mode and hands each row to `body` as it arrives, so
    /// memory stays constant however many rows there are. Returns the number of rows.
    ///
    /// If `body` throws, the query is cancelled on the server, the connection is drained so it stays
    /// usable, and the error is rethrown. Do not keep a `Row` beyond the call that receives it.
    @discardableResult
    public func stream(_ sql: SQL, _ body: (Row) throws -> Void) throws -> Int {
        try settleInFlight()
        let text = sql.text
        let sent = try withParameters(sql) { count, values in
            PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionError(sql: text) }
        guard PQsetSingleRowMode(handle) == 1 else {
            drainResults()
            throw PostgresError(kind: .protocolViolation, message: "single-row mode refused", sql: text)
        }
        var count = 0
        var failure: (any Error)?
        while let result = PQgetResult(handle) {
            if failure != nil {
                PQclear(result)
                continue
            }
            do {
                let rows = try check(result, sql: text)
                if rows.count == 1, PQresultStatus(result) == PGRES_SINGLE_TUPLE {
                    try body(rows[0])
                    count += 1
                }
            } catch {
                failure = error
                // The consumer gave up (or could not decode a row): stop the server sending more.
                if !(error is PostgresError) { cancelCurrentQuery() }
            }
        }
        if let failure { throw failure }
        return count
    }

    /// Asks the server to cancel the running statement (it answers with SQLSTATE 57014).
    func cancelCurrentQuery() {
        guard let cancel = PQgetCancel(handle) else { return }
        defer { PQfreeCancel(cancel) }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
    }
}
