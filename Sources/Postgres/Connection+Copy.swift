internal import CLibPQ

extension Connection {
    /// Runs a `COPY … FROM STDIN` statement (text format) and feeds it the rows that `body` writes.
    ///
    /// Rows are buffered and sent in chunks of about 256 KiB. If `body` throws, the COPY is
    /// abandoned (`PQputCopyEnd` with the reason), so the server rolls it back and nothing is
    /// written, and the error is rethrown. Returns the number of rows copied.
    ///
    /// ```swift
    /// try connection.copyIn("COPY t (id, name) FROM STDIN") { copy in
    ///     for item in items { copy.append(item.id); copy.append(item.name); copy.endRow() }
    /// }
    /// ```
    @discardableResult
    public func copyIn(_ sql: SQL, _ body: (inout CopyWriter) throws -> Void) throws -> Int {
        try settleInFlight()
        let text = sql.text
        let start = try withParameters(sql) { count, values in
            PQexecParams(handle, text, count, nil, values, nil, nil, 0)
        }
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try check(start, sql: text)  // throws the server's error
            throw PostgresError(kind: .protocolViolation, message: "statement is not COPY … FROM STDIN", sql: text)
        }
        PQclear(start)
        var writer = CopyWriter(connection: self, sql: text)
        do {
            try body(&writer)
            try writer.flush()
        } catch {
            let reason = String(describing: error)
            PQputCopyEnd(handle, String(reason.prefix(200)))
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            let error = connectionError(sql: text)
            drainResults()
            throw error
        }
        return try finishCopy(sql: text)
    }

    /// Reads the COPY's final result (and the NULL after it).
    private func finishCopy(sql: String) throws -> Int {
        var count = 0
        var failure: Error?
        while let result = PQgetResult(handle) {
            do { count = try check(result, sql: sql).affectedRows } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        return count
    }

    func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    func sendCopyData(_ bytes: UnsafeRawBufferPointer, sql: String) throws {
        guard bytes.count > 0 else { return }
        let ok = bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        guard ok == 1 else { throw connectionError(sql: sql) }
    }
}

/// Writes rows for `Connection.copyIn` in PostgreSQL's COPY text format, escaping as it goes.
///
/// Append each field of a row, then call `endRow()`. Nil is SQL NULL.
public struct CopyWriter: ~Copyable {
    private let connection: Connection
    private let sql: String
    private var buffer: [UInt8] = []
    private var fieldsInRow = 0
    /// Rows ended so far.
    public private(set) var rowCount = 0
    static let chunkBytes = 256 * 1024

    init(connection: Connection, sql: String) {
        self.connection = connection
        self.sql = sql
        buffer.reserveCapacity(Self.chunkBytes + 4096)
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.append(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }

    /// A text field (escaped), or NULL.
    public mutating func append(_ value: String?) {
        separate()
        guard let value else {
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "N"))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
            case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
            default: buffer.append(byte)
            }
        }
    }

    /// An integer field, written without an intermediate string.
    public mutating func append(_ value: Int64) {
        separate()
        if value == 0 {
            buffer.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = buffer.count
        while magnitude > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        buffer[start...].reverse()
    }

    /// Any encodable value in its text form (escaped), or NULL.
    public mutating func append(_ value: (some PostgresEncodable)?) {
        append(value?.postgresText)
    }

    /// Ends the current row; sends a chunk once enough is buffered.
    public mutating func endRow() throws {
        buffer.append(UInt8(ascii: "\n"))
        fieldsInRow = 0
        rowCount += 1
        if buffer.count >= Self.chunkBytes { try flush() }
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { try connection.sendCopyData($0, sql: sql) }
        buffer.removeAll(keepingCapacity: true)
    }
}
