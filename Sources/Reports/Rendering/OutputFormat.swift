/// How a command renders what it prints (`--format`).
public enum OutputFormat: String, Sendable, CaseIterable {
    case table
    case csv
    case json
    case html
}
