/// The balancing set an account belongs to. Proprietary and budgetary accounts must each balance;
/// memorandum accounts (9xxxxx) balance among themselves.
public enum AccountSet: String, Sendable, CaseIterable, Codable, Comparable {
    case proprietary
    case budgetary
    case memorandum

    public static func < (a: AccountSet, b: AccountSet) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The side of a line, and the side on which an account normally carries its balance.
public enum Side: String, Sendable, CaseIterable, Codable {
    case debit
    case credit
}

/// A USSGL-style account of the chart (DOMAIN.md §3): seeded data, not code.
public struct Account: Sendable, Hashable, Codable {
    /// Six digits, e.g. `135000`.
    public var number: String
    public var title: String
    public var set: AccountSet
    /// asset, contra-asset, liability, resource, status, memo, …
    public var type: String
    public var normalBalance: Side
    /// The seed row could not be confirmed against the current USSGL supplement.
    public var needsVerification: Bool

    public init(number: String, title: String, set: AccountSet, type: String, normalBalance: Side, needsVerification: Bool = false) {
        self.number = number
        self.title = title
        self.set = set
        self.type = type
        self.normalBalance = normalBalance
        self.needsVerification = needsVerification
    }

    /// Whether `number` has the form of an account number (six digits).
    public static func isWellFormedNumber(_ number: String) -> Bool {
        number.utf8.count == 6 && number.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

/// A Treasury account (fund) that lines belong to: `PRG`, `FIN-DL`, `FIN-LG`, `EQ`, `DPA`.
public struct Fund: Sendable, Hashable, Codable {
    public var code: String
    public var title: String
    /// program, financing, equity or purchase.
    public var kind: String

    public init(code: String, title: String, kind: String) {
        self.code = code
        self.title = title
        self.kind = kind
    }
}
