/// A five-character SQLSTATE code, as PostgreSQL reports it (Appendix A of its manual).
///
/// Matches errors in `catch` clauses:
/// ```swift
/// do { try connection.execute(insert) }
/// catch SQLState.uniqueViolation { … }
/// ```
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The two-character class ("23" for integrity constraint violations).
    public var errorClass: String { String(rawValue.prefix(2)) }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let notNullViolation = SQLState("23502")
    public static let checkViolation = SQLState("23514")
    public static let exclusionViolation = SQLState("23P01")
    public static let raiseException = SQLState("P0001")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let insufficientPrivilege = SQLState("42501")
    public static let undefinedTable = SQLState("42P01")
    public static let syntaxError = SQLState("42601")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let readOnlySQLTransaction = SQLState("25006")
    public static let objectNotInPrerequisiteState = SQLState("55000")

    /// `catch SQLState.uniqueViolation` matches a `PostgresError` with that code.
    public static func ~= (state: SQLState, error: any Error) -> Bool {
        (error as? PostgresError)?.code == state
    }
}

/// An error reported by PostgreSQL or by libpq.
///
/// `description` never contains parameter values (they may be amounts, names or secrets) nor a
/// password; it shows the SQL text, whose values are `$n` placeholders. `debugDescription` adds
/// every field the server sent.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, at the level a caller acts on.
    public enum Kind: Sendable, Equatable {
        /// The server rejected a statement; `code` says why.
        case statement
        /// No connection could be made (server down, wrong socket, authentication).
        case connectionFailed
        /// The connection broke while in use (server restarted, backend terminated, network).
        case connectionLost
        /// A COPY was abandoned by the client (its error is in `message`).
        case copyAborted
        /// libpq or the server said something this wrapper did not expect.
        case protocolViolation
    }

    public var kind: Kind
    public var code: SQLState?
    public var severity: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?
    /// The statement's text with `$n` placeholders (never the values).
    public var sql: String?
    /// Where the connection pointed, without password: `host=… port=… dbname=… user=…`.
    public var target: String?
    /// In a pipeline, the zero-based index of the statement that failed.
    public var statementIndex: Int?

    public init(
        kind: Kind, code: SQLState? = nil, message: String, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, sql: String? = nil, target: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.sql = sql
        self.target = target
    }

    /// True for a statement refused for the data it was given: a data exception (class 22) or an
    /// integrity constraint violation (class 23), as opposed to a lost connection, a missing right
    /// or a retryable failure.
    public var isAboutTheData: Bool {
        kind == .statement && (code?.errorClass == "22" || code?.errorClass == "23")
    }

    /// True for errors after which a transaction may simply be run again.
    public var isRetryableTransactionFailure: Bool {
        code == .serializationFailure || code == .deadlockDetected
    }

    public var description: String {
        var parts: [String] = []
        switch kind {
        case .connectionFailed: parts.append("cannot connect to PostgreSQL\(target.map { " at \($0)" } ?? ""): \(message)")
        case .connectionLost: parts.append("lost the connection to PostgreSQL\(target.map { " at \($0)" } ?? ""): \(message)")
        case .copyAborted: parts.append("COPY abandoned: \(message)")
        case .protocolViolation: parts.append("unexpected reply from PostgreSQL: \(message)")
        case .statement: parts.append(message)
        }
        if let code { parts.append("SQLSTATE \(code)") }
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let statementIndex { parts.append("pipeline statement #\(statementIndex + 1)") }
        if let sql { parts.append("SQL: \(sql.count > 500 ? String(sql.prefix(500)) + "…" : sql)") }
        return parts.joined(separator: "; ")
    }

    public var debugDescription: String {
        "PostgresError(kind: \(kind), code: \(code?.rawValue ?? "nil"), severity: \(severity ?? "nil"), "
            + "message: \(message), detail: \(detail ?? "nil"), hint: \(hint ?? "nil"), schema: \(schema ?? "nil"), "
            + "table: \(table ?? "nil"), column: \(column ?? "nil"), constraint: \(constraint ?? "nil"), "
            + "sql: \(sql ?? "nil"), target: \(target ?? "nil"))"
    }
}

/// A value could not be decoded from a result column.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    /// The column's name as the server reported it.
    public var column: String
    /// The column's zero-based index in the row.
    public var columnIndex: Int
    /// The zero-based row index in its result.
    public var rowIndex: Int
    /// The Swift type that was asked for.
    public var wantedType: String
    /// Why it failed (`NULL`, not an integer, out of range, …).
    public var reason: String

    public var description: String {
        "cannot decode column \"\(column)\" (index \(columnIndex), row \(rowIndex)) as \(wantedType): \(reason)"
    }
}
