internal import CLibPQ
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a connection is opened, beyond what the conninfo string says.
public struct ConnectionOptions: Sendable {
    /// Reported in `pg_stat_activity`; a conninfo `application_name` or `PGAPPNAME` wins.
    public var applicationName: String
    /// libpq's `connect_timeout`; a conninfo value or `PGCONNECT_TIMEOUT` wins.
    public var connectTimeoutSeconds: Int
    /// The session's `statement_timeout`; nil keeps the server's setting.
    public var statementTimeoutMilliseconds: Int?
    /// The session's `jit`: whether PostgreSQL compiles the plans it costs as expensive. Off by
    /// default: the ledger's queries are index-driven, and compiling one cost 0.2–0.6 s where it
    /// ran in less (a 100,000-item reconciliation spent 1.2 s of its 7 s compiling three plans).
    public var jit: Bool

    public init(applicationName: String = "dfc-ledger", connectTimeoutSeconds: Int = 10, statementTimeoutMilliseconds: Int? = nil, jit: Bool = false) {
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.jit = jit
    }
}

/// One libpq connection.
///
/// Opened from a conninfo string (`host=… dbname=…` or a `postgresql://` URI) or, when none is
/// given, from libpq's `PG*` environment variables. The session always runs with `TimeZone=UTC`
/// and `DateStyle=ISO`, so that dates and instants read back exactly, and without JIT unless
/// ``ConnectionOptions/jit`` asks for it.
///
/// All calls are synchronous and block the calling thread. A `Connection` is not `Sendable`:
/// a `PGconn` must never be used from two threads at once; give each thread its own.
public final class Connection {
    let handle: OpaquePointer
    private let noticeSink: NoticeSink
    /// Where this connection points, without a password: `host=… port=… dbname=… user=…`.
    public let target: String
    public let logger: Logger
    /// The statement sent with `send` whose result is not read yet.
    var inFlight: Sent?
    /// Statements prepared on this connection by `queryPrepared`: their names, by text.
    private var prepared: [String: String] = [:]

    /// Connects, or throws a `PostgresError` of kind `.connectionFailed` naming the target and
    /// libpq's message.
    public init(
        conninfo: String? = nil, options: ConnectionOptions = ConnectionOptions(),
        logger: Logger = Logger(label: "dfc-ledger.postgres")
    ) throws {
        // Keywords are processed in order and the last value wins, so our defaults come first and
        // the caller's conninfo (expanded from `dbname`, expand_dbname = 1) overrides them.
        var keywords: [String] = []
        var values: [String] = []
        if getenv("PGAPPNAME") == nil {
            keywords.append("application_name")
            values.append(options.applicationName)
        }
        if getenv("PGCONNECT_TIMEOUT") == nil {
            keywords.append("connect_timeout")
            values.append(String(options.connectTimeoutSeconds))
        }
        if let conninfo, !conninfo.isEmpty {
            keywords.append("dbname")
            values.append(conninfo)
        }
        let connection = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let connection else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        let target = describeTarget(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = lastErrorMessage(connection)
            // libpq: "Note that when PQconnectdb fails, PQfinish should still be called to free the
            // memory used by the PGconn object."
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: message, target: target)
        }
        self.handle = connection
        self.target = target
        self.logger = logger
        self.noticeSink = NoticeSink(logger: logger)
        PQsetNoticeReceiver(connection, noticeReceiver, Unmanaged.passUnretained(noticeSink).toOpaque())
        var setup = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8';"
        if let ms = options.statementTimeoutMilliseconds {
            setup += " SET statement_timeout = \(ms);"
        }
        if !options.jit {
            setup += " SET jit = off;"
        }
        try execute(unsafeSQL: setup)
    }

    deinit { PQfinish(handle) }

    // MARK: - Statements

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ sql: SQL) throws -> Rows {
        try settleInFlight()
        let text = sql.text
        let result = try withParameters(sql) { count, values in
            PQexecParams(handle, text, count, nil, values, nil, nil, 0)
        }
        return try check(result, sql: text)
    }

    /// Runs one statement as a prepared statement of this connection: parsed and planned by the
    /// server once per connection and text, then only bound and run. For a statement a program
    /// runs over and over with different parameters (posting one entry, say).
    public func queryPrepared(_ sql: SQL) throws -> Rows {
        try settleInFlight()
        let text = sql.text
        let name: String
        if let known = prepared[text] {
            name = known
        } else {
            name = "dfc_\(prepared.count + 1)"
            _ = try check(PQprepare(handle, name, text, 0, nil), sql: text)  // the server infers the parameters' types
            prepared[text] = name
        }
        let result = try withParameters(sql) { count, values in
            PQexecPrepared(handle, name, count, values, nil, nil, 0)
        }
        return try check(result, sql: text)
    }

    /// Runs one statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        try query(sql).affectedRows
    }

    /// Runs a script of one or more statements with no parameters (the simple query protocol),
    /// such as a migration file. Never build the script from input.
    public func execute(unsafeSQL script: String) throws {
        try settleInFlight()
        // PQexec returns the last statement's result; an error stops the script and is returned.
        _ = try check(PQexec(handle, script), sql: script)
    }

    /// Returns the first row's first column, or nil for no rows.
    public func scalar<T: PostgresDecodable>(_ type: T.Type = T.self, _ sql: SQL) throws -> T? {
        let rows = try query(sql)
        guard let first = rows.first else { return nil }
        return try first.decode(type, at: 0)
    }

    // MARK: - State

    /// The server's version as `major.minor`, e.g. `15.18`.
    public var serverVersion: String {
        let v = Int(PQserverVersion(handle))
        return "\(v / 10000).\(v % 10000)"
    }

    /// The server process serving this connection (for `pg_terminate_backend`, `pg_stat_activity`).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether the connection is usable.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether a transaction block is open (or failed and awaiting ROLLBACK).
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    // MARK: - The one choke point for results

    /// Turns a libpq result into rows, or into a thrown `PostgresError`. Every statement result
    /// passes through here.
    func check(_ result: OpaquePointer?, sql: String?) throws -> Rows {
        guard let result else { throw connectionError(sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_EMPTY_QUERY:
            return Rows(taking: result)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE, PGRES_PIPELINE_ABORTED:
            let error = makeError(result, sql: sql)
            PQclear(result)
            throw error
        default:
            // COPY started through query(): end it so that the connection stays usable.
            let status = PQresultStatus(result)
            PQclear(result)
            abandonCopy(status: status)
            throw PostgresError(
                kind: .protocolViolation,
                message: "statement started \(String(cString: PQresStatus(status))); use copyIn for COPY",
                sql: sql)
        }
    }

    private func abandonCopy(status: ExecStatusType) {
        if status == PGRES_COPY_IN || status == PGRES_COPY_BOTH {
            PQputCopyEnd(handle, "COPY is not supported through query()")
        } else if status == PGRES_COPY_OUT {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) >= 0 { PQfreemem(buffer) }
        }
        while let r = PQgetResult(handle) { PQclear(r) }
    }

    func makeError(_ result: OpaquePointer, sql: String?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let lost = PQstatus(handle) != CONNECTION_OK
        var message = field(CLIBPQ_DIAG_MESSAGE_PRIMARY) ?? String(cString: PQresultErrorMessage(result))
        if message.isEmpty { message = lastErrorMessage(handle) }
        if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
            message = "not run: an earlier statement in the same pipeline failed"
        }
        var error = PostgresError(
            kind: lost ? .connectionLost : .statement, code: field(CLIBPQ_DIAG_SQLSTATE).map { SQLState($0) },
            message: message.trimmingTrailingNewlines(), detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT), constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME), sql: sql,
            target: lost ? target : nil)
        error.severity = field(CLIBPQ_DIAG_SEVERITY_NONLOCALIZED)
        error.schema = field(CLIBPQ_DIAG_SCHEMA_NAME)
        error.table = field(CLIBPQ_DIAG_TABLE_NAME)
        error.column = field(CLIBPQ_DIAG_COLUMN_NAME)
        return error
    }

    /// The error for a call that returned no result at all, or failed before sending.
    func connectionError(sql: String?) -> PostgresError {
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(
            kind: lost ? .connectionLost : .protocolViolation, message: lastErrorMessage(handle), sql: sql,
            target: lost ? target : nil)
    }

    /// Calls `body` with the statement's parameters as C strings (nil for NULL).
    func withParameters<R>(
        _ sql: SQL, _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) throws -> R
    ) throws -> R {
        let parameters = sql.parameters
        for (i, p) in parameters.enumerated() where p?.utf8.contains(0) == true {
            throw PostgresError(
                kind: .statement, code: SQLState("22021"),
                message: "parameter $\(i + 1) contains a NUL character, which PostgreSQL text cannot hold",
                sql: sql.text)
        }
        let pointers: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0)! } }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeBufferPointer { buffer in
            try buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
                try body(Int32(buffer.count), buffer.count == 0 ? nil : $0)
            }
        }
    }
}

/// A `PGconn` must never be used from two threads at once: each thread opens its own connection.
@available(*, unavailable)
extension Connection: Sendable {}

// MARK: - Conninfo helpers

extension Connection {
    /// The conninfo with any password replaced by `********`, safe to print or log. A string libpq
    /// cannot parse is not echoed at all (it might hold a password in a form we did not recognise).
    public static func maskedConninfo(_ conninfo: String) -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return "(unparseable conninfo)"
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var p = options
        while let keyword = p.pointee.keyword {
            if let value = p.pointee.val {
                let key = String(cString: keyword)
                let shown = key == "password" ? "********" : String(cString: value)
                parts.append("\(key)=\(quoteConninfoValue(shown))")
            }
            p += 1
        }
        return parts.joined(separator: " ")
    }

    /// Checks a conninfo string's syntax without connecting; returns libpq's complaint or nil.
    public static func conninfoSyntaxError(_ conninfo: String) -> String? {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            defer { if let errorMessage { PQfreemem(errorMessage) } }
            return errorMessage.map { String(cString: $0).trimmingTrailingNewlines() } ?? "invalid conninfo"
        }
        PQconninfoFree(options)
        return nil
    }
}

func quoteConninfoValue(_ value: String) -> String {
    if !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) { return value }
    var out = "'"
    for c in value {
        if c == "'" || c == "\\" { out.append("\\") }
        out.append(c)
    }
    return out + "'"
}

/// `host=… port=… dbname=… user=…` of a connection (made or failed); never the password.
func describeTarget(_ connection: OpaquePointer) -> String {
    func value(_ p: UnsafeMutablePointer<CChar>?) -> String? {
        guard let p else { return nil }
        let s = String(cString: p)
        return s.isEmpty ? nil : s
    }
    var parts: [String] = []
    if let host = value(PQhost(connection)) { parts.append("host=\(quoteConninfoValue(host))") }
    if let port = value(PQport(connection)) { parts.append("port=\(port)") }
    if let db = value(PQdb(connection)) { parts.append("dbname=\(quoteConninfoValue(db))") }
    if let user = value(PQuser(connection)) { parts.append("user=\(quoteConninfoValue(user))") }
    return parts.joined(separator: " ")
}

func lastErrorMessage(_ connection: OpaquePointer) -> String {
    String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines()
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}

func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0)! } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}

// MARK: - Server notices go to swift-log, not stderr

final class NoticeSink {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    func receive(severity: String, message: String) {
        let level: Logger.Level =
            switch severity {
            case "DEBUG": .debug
            case "LOG", "INFO": .info
            case "NOTICE": .notice
            default: .warning
            }
        logger.log(level: level, "\(message)", metadata: ["postgres.severity": "\(severity)"])
    }
}

private let noticeReceiver: PQnoticeReceiver = { argument, result in
    guard let argument, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(argument).takeUnretainedValue()
    let severity = PQresultErrorField(result, CLIBPQ_DIAG_SEVERITY_NONLOCALIZED).map { String(cString: $0) } ?? "NOTICE"
    let message = PQresultErrorField(result, CLIBPQ_DIAG_MESSAGE_PRIMARY).map { String(cString: $0) } ?? ""
    sink.receive(severity: severity, message: message)
}
