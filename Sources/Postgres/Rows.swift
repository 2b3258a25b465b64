internal import CLibPQ

/// The rows of one result, owned: the libpq result is cleared exactly once, when the last
/// reference goes away.
///
/// Values are decoded on access from PostgreSQL's text format:
/// ```swift
/// for row in try connection.query("SELECT number, title FROM account") {
///     let number: String = try row.decode(at: 0)
///     let title = try row.decode(String?.self, "title")
/// }
/// ```
public final class Rows: RandomAccessCollection {
    let result: OpaquePointer
    /// The number of rows.
    public let count: Int
    /// Column names in order.
    public let columnNames: [String]

    init(taking result: OpaquePointer) {
        self.result = result
        self.count = Int(PQntuples(result))
        let n = PQnfields(result)
        self.columnNames = (0..<n).map { String(cString: PQfname(result, $0)) }
    }

    deinit { PQclear(result) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> Row { Row(rows: self, index: position) }

    /// Rows inserted, updated, deleted or copied by the statement (0 when it does not say).
    public var affectedRows: Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The statement's command tag, such as `INSERT 0 1`.
    public var commandTag: String { String(cString: PQcmdStatus(result)) }

    func columnIndex(_ name: String) -> Int? { columnNames.firstIndex(of: name) }
}

/// A `PGresult` belongs to one connection's thread of use.
@available(*, unavailable)
extension Rows: Sendable {}

/// One row of a result.
public struct Row {
    let rows: Rows
    /// The zero-based index of this row in its result.
    public let index: Int

    /// The number of columns.
    public var columnCount: Int { rows.columnNames.count }

    /// Whether the column holds SQL NULL.
    public func isNull(at column: Int) -> Bool {
        PQgetisnull(rows.result, Int32(index), Int32(column)) == 1
    }

    /// Decodes the value at a zero-based column index.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard column >= 0, column < columnCount else {
            throw PostgresDecodingError(
                column: "#\(column)", columnIndex: column, rowIndex: index, wantedType: String(describing: T.self),
                reason: "the result has \(columnCount) columns")
        }
        do {
            if isNull(at: column) { return try T.decodeNull() }
            let length = Int(PQgetlength(rows.result, Int32(index), Int32(column)))
            let pointer = UnsafeRawPointer(PQgetvalue(rows.result, Int32(index), Int32(column))!)
            return try T.decode(postgresText: UnsafeRawBufferPointer(start: pointer, count: length))
        } catch {
            throw PostgresDecodingError(
                column: rows.columnNames[column], columnIndex: column, rowIndex: index,
                wantedType: String(describing: T.self), reason: error.reason)
        }
    }

    /// Decodes the value of the named column.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let i = rows.columnIndex(column) else {
            throw PostgresDecodingError(
                column: column, columnIndex: -1, rowIndex: index, wantedType: String(describing: T.self),
                reason: "the result has no such column (it has \(rows.columnNames.joined(separator: ", ")))")
        }
        return try decode(type, at: i)
    }
}

@available(*, unavailable)
extension Row: Sendable {}
