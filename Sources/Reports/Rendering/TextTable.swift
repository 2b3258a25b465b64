/// A table of already-formatted cells, rendered as aligned text for a terminal or as CSV.
///
/// Rendering never computes: every cell arrives as the string to show.
public struct TextTable: Sendable, Equatable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable, Equatable {
        public var title: String
        public var alignment: Alignment
        public init(_ title: String, _ alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    public var rows: [[String]]

    public init(columns: [Column], rows: [[String]] = []) {
        self.columns = columns
        self.rows = rows
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    /// Aligned columns separated by two spaces, a rule under the header, no trailing spaces.
    public func renderText() -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(columns[i].alignment == .right ? padding + cell : cell + padding)
            }
            return String(parts.joined(separator: "  ").reversed().drop(while: { $0 == " " }).reversed())
        }
        var out = [line(columns.map(\.title)), line(widths.map { String(repeating: "-", count: $0) })]
        out += rows.map(line)
        return out.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV with a header row and CRLF line ends; cells are made safe for spreadsheets.
    public func renderCSV() -> String {
        Self.csvLine(columns.map(\.title)) + rows.map(Self.csvLine).joined()
    }

    /// One CSV record with its CRLF, for writing rows as they arrive.
    public static func csvLine(_ cells: [String]) -> String {
        cells.map(CSVCell.escape).joined(separator: ",") + "\r\n"
    }
}

/// One CSV cell, quoted when needed and neutralized against formula injection.
public enum CSVCell {
    /// A cell a spreadsheet would evaluate — starting with `=`, `+`, `-`, `@`, tab or carriage
    /// return — gets a leading apostrophe, unless it is a plain number such as `-125.00`, which
    /// spreadsheets read as a number anyway. Then the cell is quoted if it holds a comma, quote,
    /// or line break.
    public static func escape(_ value: String) -> String {
        var cell = value
        if let first = cell.first, "=+-@\t\r".contains(first), !isPlainNumber(cell) {
            cell = "'" + cell
        }
        if cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            cell = "\"" + cell.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
        }
        return cell
    }

    static func isPlainNumber(_ s: String) -> Bool {
        var rest = Substring(s)
        if rest.first == "-" { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
