internal import CLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Connection {
    /// Sends several statements in libpq's pipeline mode — one network round trip — and returns
    /// each one's rows in order.
    ///
    /// The statements form one sync segment, which PostgreSQL runs as one implicit transaction
    /// (or as part of the caller's open transaction): if any fails, the ones before it are rolled
    /// back, the ones after it are not run, and the first error is thrown with `statementIndex`
    /// set. The connection stays usable. At most `statementsPerPipelineMax` statements per call.
    public func pipeline(_ statements: [SQL]) throws -> [Rows] {
        try settleInFlight()
        precondition(!statements.isEmpty, "pipeline of no statements")
        precondition(statements.count <= Self.statementsPerPipelineMax, "pipeline of more than \(Self.statementsPerPipelineMax) statements")
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError(sql: nil) }
        defer { PQexitPipelineMode(handle) }
        try sendNonblocking {
            for sql in statements {
                let text = sql.text
                let sent = try withParameters(sql) { count, values in
                    PQsendQueryParams(handle, text, count, nil, values, nil, nil, 0)
                }
                guard sent == 1 else { throw connectionError(sql: text) }
                try flushNonblocking(sql: text)
            }
            guard PQpipelineSync(handle) == 1 else { throw connectionError(sql: nil) }
        }

        var results: [Rows] = []
        var firstError: PostgresError?
        for (index, sql) in statements.enumerated() {
            let text = sql.text
            guard let result = PQgetResult(handle) else { throw connectionError(sql: text) }
            do {
                results.append(try check(result, sql: text))
            } catch var error as PostgresError {
                if error.kind == .connectionLost { throw error }
                if firstError == nil {
                    error.statementIndex = index
                    firstError = error
                }
            }
            // Each statement's results end with a NULL.
            if let extra = PQgetResult(handle) {
                PQclear(extra)
                throw PostgresError(kind: .protocolViolation, message: "more than one result for pipeline statement #\(index + 1)", sql: text)
            }
        }
        guard let sync = PQgetResult(handle) else { throw connectionError(sql: nil) }
        let syncStatus = PQresultStatus(sync)
        PQclear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC else {
            throw PostgresError(kind: .protocolViolation, message: "expected the pipeline's sync, got \(String(cString: PQresStatus(syncStatus)))")
        }
        if let firstError { throw firstError }
        return results
    }

    /// The most statements one `pipeline` call takes, so that neither side's buffers grow unbounded.
    public static let statementsPerPipelineMax = 10_000

    /// Runs `body` with the socket in non-blocking mode, so that sending many statements cannot
    /// deadlock against a server that is itself blocked writing results we have not read yet.
    func sendNonblocking(_ body: () throws -> Void) throws {
        guard PQsetnonblocking(handle, 1) == 0 else { throw connectionError(sql: nil) }
        defer { PQsetnonblocking(handle, 0) }
        try body()
        try flushNonblocking(sql: nil)
    }

    /// Flushes libpq's output buffer, reading input meanwhile whenever the server sends some.
    func flushNonblocking(sql: String?) throws {
        while true {
            let status = PQflush(handle)
            if status == 0 { return }
            if status < 0 { throw connectionError(sql: sql) }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN | POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, 1000)
            if descriptor.revents & Int16(POLLIN) != 0 {
                guard PQconsumeInput(handle) == 1 else { throw connectionError(sql: sql) }
            }
        }
    }
}
