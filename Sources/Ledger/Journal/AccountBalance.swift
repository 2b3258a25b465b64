/// The balance of one account in one fund and currency: debits minus credits, in minor units.
public struct AccountBalance: Sendable, Hashable {
    public var account: String
    public var fund: String
    public var currency: String
    public var balanceMinorUnits: Int64

    public init(account: String, fund: String, currency: String, balanceMinorUnits: Int64) {
        self.account = account
        self.fund = fund
        self.currency = currency
        self.balanceMinorUnits = balanceMinorUnits
    }
}
