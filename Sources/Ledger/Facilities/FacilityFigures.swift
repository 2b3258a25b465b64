/// What the reports read of one facility as of a date, in its own currency: its position (the
/// event sums and balances the business rules read) and the principal repaid (DOMAIN.md §5).
public struct FacilityFigures: Sendable, Hashable {
    public var position: FacilityPosition
    /// Principal received by `repay` and `repay-principal` events (their 135000 credits); write-offs
    /// are not repayments.
    public var principalRepaid: Int64

    public init(position: FacilityPosition = FacilityPosition(), principalRepaid: Int64 = 0) {
        self.position = position
        self.principalRepaid = principalRepaid
    }
}
