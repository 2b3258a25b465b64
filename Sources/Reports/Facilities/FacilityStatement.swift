import Dates
import Ledger

/// The statement of one facility as of a date: what an officer sends a borrower or reads before
/// a call. Its terms; the contract schedule next to what was received (receipts applied to the
/// installments in due-date order, oldest first); the balances by component in the facility's
/// currency and in USD; every entry on the facility with its seal.
///
/// Pure: `FacilityStatement.build` takes the books as read and returns the statement.
public struct FacilityStatement: Encodable, Sendable, Equatable {
    public struct Balance: Encodable, Sendable, Equatable {
        /// The exposure report's column name ("outstanding_principal").
        public var component: String
        /// In the facility's currency.
        public var amount: String
        public var usd: USD
    }

    /// One installment of the contract schedule and what was applied to it.
    public struct Installment: Encodable, Sendable, Equatable {
        public enum Status: String, Encodable, Sendable {
            /// Paid in full on or before its date.
            case paid
            /// Paid in full after its date.
            case paidLate = "paid late"
            /// Due before the statement's date and not paid in full.
            case pastDue = "past due"
            /// Due on the statement's date itself and not paid in full yet (not in arrears).
            case due
            /// Not due yet.
            case notDue = "not due"
        }
        public var n: Int
        public var date: String
        public var payment: String
        public var interest: String
        public var principal: String
        /// Scheduled principal outstanding after this installment.
        public var balance: String
        /// Receipts applied to this installment.
        public var paid: String
        /// The date of the receipt that completed it; null while not paid in full.
        @NullWhenAbsent public var paidOn: String?
        /// payment − paid when past due, else 0.
        public var arrears: String
        /// Days from the due date to the statement's date while in arrears, else 0.
        public var daysPastDue: Int
        public var status: Status
    }

    public struct Schedule: Encodable, Sendable, Equatable {
        public var annualRate: String
        public var amortization: String
        public var frequency: String
        /// The level payment (level-payment only).
        @NullWhenAbsent public var payment: String?
        public var installments: [Installment]
        /// Σ payments of the installments due on or before the statement's date.
        public var dueToDate: String
        /// Σ receipts (repay, repay-interest, repay-principal not reversed) by the date.
        public var receivedToDate: String
        /// Σ arrears.
        public var arrears: String
        /// The oldest installment in arrears' days past due (0 when none).
        public var daysPastDue: Int
        /// Receipts beyond every installment due so far (applied to later ones).
        public var paidAhead: String
        /// The first installment not paid in full and not yet due.
        @NullWhenAbsent public var nextDue: NextDue?

        public struct NextDue: Encodable, Sendable, Equatable {
            public var date: String
            public var amount: String
        }
    }

    public struct Entry: Encodable, Sendable, Equatable {
        public struct Seal: Encodable, Sendable, Equatable {
            public var chainSeq: Int64
            public var sha256: String
        }
        public var entryId: Int64
        public var date: String
        public var eventId: String
        /// The event type, "manual" for a posted entry, "reversal" for a reversing one.
        public var type: String
        public var amount: String
        public var currency: String
        public var reference: String
        public var description: String
        @NullWhenAbsent public var reverses: Int64?
        @NullWhenAbsent public var reversedBy: Int64?
        /// Null until the audit chain has sealed the entry.
        @NullWhenAbsent public var seal: Seal?
    }

    public var facilityId: String
    public var name: String
    public var asOf: String
    @NullWhenAbsent public var knownAt: String?
    /// The fiscal period of the statement's date ("FY2027 P02").
    public var fiscalPeriod: String
    public var currency: String
    /// USD per unit as imported, the latest on or before the date; "1" for USD; null for a
    /// facility with no rate yet and nothing to convert.
    @NullWhenAbsent public var fxRate: String?
    public var terms: FacilityView
    public var balances: [Balance]
    /// Null for an instrument without a repayment schedule.
    @NullWhenAbsent public var schedule: Schedule?
    public var entries: [Entry]
    /// Abnormal balances and arrears, in words.
    public var flags: [String]
    /// The facility's disbursements awaiting certification (none: the key is left out).
    public var pendingCertification: [PendingCertification]?

    /// The event types whose amounts are cash received from the borrower.
    static let receiptTypes: Set<String> = [EventType.repay.rawValue, EventType.repayInterest.rawValue, EventType.repayPrincipal.rawValue]

    /// The statement as of `asOf` (and as known at `knownAt`) from what the store read.
    public static func build(_ books: FacilityBooks, asOf: CivilDate, knownAt: Instant?, mineralLists: [String: [String]]) throws(LedgerError) -> FacilityStatement {
        let f = books.facility
        let figures = books.figures
        let entries = books.entries
        func money(_ minor: Int64, _ currency: Currency = f.currency) -> String { Money(minorUnits: minor, currency: currency).formatted }
        let c = figures.components(f.instrument)
        let named: [(String, Int64)] = [
            ("outstanding_principal", c.outstandingPrincipal), ("accrued_interest", c.accruedInterest), ("undisbursed", c.undisbursed),
            ("guarantee_outstanding", c.guaranteeOutstanding), ("equity_cost", c.equityCost), ("equity_fair_value", c.equityFairValue),
            ("obligated", c.obligated), ("deobligated", c.deobligated), ("disbursed", c.disbursed), ("repaid", c.repaid), ("exposure", c.exposure),
        ]
        var rate: ExactDecimal?
        if f.currency.code != "USD" {
            rate = Accrual.value(of: books.fxRates[f.currency.code] ?? [], on: asOf)
            if rate == nil && named.contains(where: { $0.1 != 0 }) {
                throw .missingFXRate(currency: f.currency.code, date: asOf, facilityID: f.id)
            }
        }
        let balances = named.map { name, amount in
            Balance(component: name, amount: money(amount), usd: USD(Limits.usd(amount, currency: f.currency, usdPerUnit: rate) ?? 0))
        }

        let rows = entries.map { e in
            Entry(
                entryId: e.entryID, date: e.date.description, eventId: e.eventKey,
                type: e.reverses != nil ? "reversal" : e.eventType ?? "manual", amount: money(e.amount, e.currency), currency: e.currency.code,
                reference: e.reference, description: e.description, reverses: e.reverses, reversedBy: e.reversedBy,
                seal: e.seal.map { Entry.Seal(chainSeq: $0.chainSeq, sha256: $0.sha256) })
        }
        let receipts = entries.filter { $0.reverses == nil && $0.reversedBy == nil && receiptTypes.contains($0.eventType ?? "") }
            .map { (date: $0.date, amount: $0.amount) }
        let section = books.schedule.map { applied($0.schedule, annualRate: $0.annualRate, terms: f.terms, receipts: receipts, asOf: asOf, currency: f.currency) }

        var flags = ExposureReport.flags(figures.position)
        if let section, section.daysPastDue > 0 {
            let late = section.installments.filter { $0.status == .pastDue }.count
            flags.append("\(late) installment\(late == 1 ? "" : "s") past due, the oldest \(section.daysPastDue) days")
        }
        return FacilityStatement(
            facilityId: f.id, name: f.name, asOf: asOf.description, knownAt: knownAt?.description,
            fiscalPeriod: ExposureReport.fiscalPeriod(YearMonth(asOf)), currency: f.currency.code, fxRate: rate?.description ?? (f.currency.code == "USD" ? "1" : nil),
            terms: FacilityView(f, mineralLists: mineralLists), balances: balances, schedule: section, entries: rows, flags: flags,
            pendingCertification: try PendingCertification.rows(books.pending, facilities: [f]) { _ throws(LedgerError) in rate })
    }

    /// The schedule with the receipts applied: each receipt, in date order, pays the oldest
    /// installment not yet paid in full; an installment is past due (in arrears) when its date is
    /// before `asOf` and it is not paid in full.
    static func applied(
        _ s: Ledger.Schedule, annualRate: ExactDecimal, terms: Terms?, receipts: [(date: CivilDate, amount: Int64)], asOf: CivilDate,
        currency: Currency
    ) -> Schedule {
        func money(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).formatted }
        var queue = receipts[...]
        var left = queue.first?.amount ?? 0
        var installments: [Installment] = []
        var dueToDate: Int64 = 0, arrearsTotal: Int64 = 0, paidOnDue: Int64 = 0, oldest = 0
        var nextDue: Schedule.NextDue?
        for row in s.rows {
            var paid: Int64 = 0
            var paidOn: CivilDate?
            while paid < row.payment, let receipt = queue.first {
                let take = min(left, row.payment - paid)
                paid += take
                left -= take
                if paid == row.payment { paidOn = receipt.date }
                if left == 0 {
                    queue.removeFirst()
                    left = queue.first?.amount ?? 0
                }
            }
            let due = row.date <= asOf
            let arrears = row.date < asOf ? row.payment - paid : 0
            let days = arrears > 0 ? asOf.daysSinceEpoch - row.date.daysSinceEpoch : 0
            let status: Installment.Status =
                if let paidOn { paidOn <= row.date ? .paid : .paidLate } else if arrears > 0 { .pastDue } else if due { .due } else { .notDue }
            if due {
                dueToDate += row.payment
                paidOnDue += paid
            } else if paidOn == nil, nextDue == nil {
                nextDue = .init(date: row.date.description, amount: money(row.payment - paid))
            }
            arrearsTotal += arrears
            oldest = max(oldest, days)
            installments.append(
                Installment(
                    n: row.n, date: row.date.description, payment: money(row.payment), interest: money(row.interest), principal: money(row.principal),
                    balance: money(row.balance), paid: money(paid), paidOn: paidOn?.description, arrears: money(arrears), daysPastDue: days, status: status))
        }
        let received = receipts.reduce(0) { $0 + $1.amount }
        return Schedule(
            annualRate: Facility.percent(annualRate), amortization: terms?.amortization.rawValue ?? "", frequency: terms?.frequency.rawValue ?? "",
            payment: s.payment.map(money), installments: installments, dueToDate: money(dueToDate), receivedToDate: money(received),
            arrears: money(arrearsTotal), daysPastDue: oldest, paidAhead: money(received - paidOnDue), nextDue: nextDue)
    }
}
