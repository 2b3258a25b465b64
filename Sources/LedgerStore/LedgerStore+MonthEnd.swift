import Dates
import Foundation
import Ledger
import Postgres

/// What a month-end run did for one facility.
public struct AccrualResult: Sendable, Hashable {
    public enum Status: String, Sendable { case created, existing, nothing, proposed }
    public var facilityID: String
    public var status: Status
    public var entryID: Int64?
    public var amount: Money?
    public var from: CivilDate?
    public var to: CivilDate?
    /// The proposal the month-end awaits certification in (status `proposed`).
    public var proposalID: String? = nil
}

extension LedgerStore {
    /// Accrues interest for `month` on every direct loan (DESIGN.md §4): one entry per facility,
    /// `accrual:<facility>:<YYYY-MM>`, dated the month's last day, up to the first day of the next
    /// month. Running it again posts nothing new; a closed month is refused.
    public func monthEnd(_ month: YearMonth) throws -> [AccrualResult] {
        let chart = try self.chart()
        if chart.closedMonths.contains(month) {
            throw LedgerError.periodState(month: month.description, reason: "is closed: month-end cannot post into it (reopen it with a reason first)")
        }
        return try connection.transaction { tx in
            var accruals: [AccrualResult] = []
            let posted = try Self.postingOrProposing(
                tx,
                {
                    accruals = try Self.accrue(month, tx, chart: chart)
                    return accruals.filter { $0.status != .nothing }.map {
                        PostResult(entryID: $0.entryID ?? 0, eventKey: Accrual.eventKey(facility: $0.facilityID, month: month), status: $0.status == .created ? .created : .existing)
                    }
                }
            ) {
                let created = accruals.filter { $0.status == .created }
                let content = MonthEndContent(
                    keys: created.map { Accrual.eventKey(facility: $0.facilityID, month: month) }, month: month.description,
                    accruals: created.map { .init(facilityId: $0.facilityID, amountMinor: String($0.amount?.minorUnits ?? 0)) })
                return ("month-end", try ProposalContent.json(content), "month-end \(month): \(created.count) accruals")
            }
            let proposal = posted.first { $0.status == .proposed }?.proposalID
            return accruals.map { r in
                guard let proposal, r.status == .created else { return r }
                var r = r
                (r.status, r.entryID, r.proposalID) = (.proposed, nil, proposal)
                return r
            }
        }
    }

    /// What a month-end proposal holds: the accruals it will post, checked again at approval.
    struct MonthEndContent: Codable {
        struct Item: Codable { var facilityId, amountMinor: String }
        var keys: [String]
        var month: String
        var accruals: [Item]
    }

    /// Month-end's accruals for `month`, in `tx`.
    static func accrue(_ month: YearMonth, _ tx: Connection, chart: Chart) throws -> [AccrualResult] {
        do {
            let context = try EventContext(tx, chart: chart)
            let loans = context.sortedFacilities.filter(\.instrument.bearsInterest)
            let keys = loans.map { Accrual.eventKey(facility: $0.id, month: month) }
            // Everything month-end reads, locked first and then read in a few set queries (not per
            // facility): the loans' funds and the loans themselves, in the same order as events.
            try context.lockAll(loans)
            let existing = try context.entryIDs(of: keys)
            try context.startBatching()
            var results: [AccrualResult] = []
            for (facility, key) in zip(loans, keys) {
                if let id = existing[key] {
                    results.append(AccrualResult(facilityID: facility.id, status: .existing, entryID: id))
                    continue
                }
                let to = month.next.firstDay
                guard let accrual = try context.accrual(facility, to: to), accrual.result.amount > 0 else {
                    results.append(AccrualResult(facilityID: facility.id, status: .nothing))
                    continue
                }
                let event = Event(
                    id: key, date: month.lastDay, facilityID: facility.id, fund: facility.instrument.fund, type: .accrue,
                    amount: accrual.result.amount, currency: facility.currency, memo: "month-end accrual \(month)")
                let posted = try context.record(event, accrual: accrual)
                results.append(
                    AccrualResult(
                        facilityID: facility.id, status: posted.status == .created ? .created : .existing, entryID: posted.entryID,
                        amount: Money(minorUnits: accrual.result.amount, currency: facility.currency), from: accrual.from, to: to))
                if context.pending.count >= EventContext.batchSize { try context.flush() }
            }
            try context.flush()
            let written = try context.takeWritten()
            return results.map { r in
                var r = r
                if r.status == .created, r.entryID == 0 { r.entryID = written[Accrual.eventKey(facility: r.facilityID, month: month)] }
                return r
            }
        }
    }
}
