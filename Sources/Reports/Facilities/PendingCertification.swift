import Dates
import Ledger

/// A disbursement awaiting a second officer's certification, shown apart from a report's figures:
/// what would change if it were certified (four eyes). It is in no figure, total or limit.
public struct PendingCertification: Encodable, Sendable, Equatable {
    public var proposalId: String
    public var facilityId: String
    public var eventId: String
    public var type: String
    public var date: String
    /// In the facility's currency.
    public var amount: String
    public var currency: String
    /// At the report's FX rate for the facility.
    public var amountUsd: USD

    enum CodingKeys: String, CodingKey {
        case proposalId = "proposal_id", facilityId = "facility_id", eventId = "event_id", type, date, amount, currency, amountUsd = "amount_usd"
    }

    /// The rows of `pending` for the facilities known, in USD at `rate`; nil when there are none,
    /// so that a report without any keeps its shape.
    static func rows(
        _ pending: [PendingDisbursement], facilities: [Facility], rate: (Facility) throws(LedgerError) -> ExactDecimal?
    ) throws(LedgerError) -> [PendingCertification]? {
        let byID = Dictionary(uniqueKeysWithValues: facilities.map { ($0.id, $0) })
        var rows: [PendingCertification] = []
        for p in pending {
            guard let f = byID[p.facilityID], let usd = Limits.usd(p.amount, currency: f.currency, usdPerUnit: try rate(f)) else { continue }
            rows.append(
                PendingCertification(
                    proposalId: p.proposalID, facilityId: p.facilityID, eventId: p.eventID, type: p.type, date: p.date.description,
                    amount: Money(minorUnits: p.amount, currency: f.currency).formatted, currency: f.currency.code, amountUsd: USD(usd)))
        }
        return rows.isEmpty ? nil : rows
    }

    /// The section a text report prints them in.
    static func section(_ rows: [PendingCertification]?) -> String {
        guard let rows else { return "" }
        var t = TextTable(columns: [
            .init("proposal"), .init("facility_id"), .init("event_id"), .init("type"), .init("date"), .init("amount", .right), .init("ccy"),
            .init("usd", .right),
        ])
        for r in rows { t.append([r.proposalId, r.facilityId, r.eventId, r.type, r.date, Grouping.grouped(r.amount), r.currency, r.amountUsd.grouped]) }
        return "\nAwaiting certification (in no figure above; what would change if certified)\n" + t.renderText()
    }
}

extension PendingCertification {
    /// The page's rows (mustache reads dictionaries of text), grouped amounts.
    static func pageRows(_ rows: [PendingCertification]?) -> [[String: String]] {
        (rows ?? []).map {
            [
                "proposal": $0.proposalId, "facility": $0.facilityId, "event": $0.eventId, "type": $0.type, "date": $0.date,
                "amount": Grouping.grouped($0.amount), "currency": $0.currency, "usd": $0.amountUsd.grouped,
            ]
        }
    }
}
