import Ledger

extension FacilityStatement {
    /// One self-contained HTML page (inline CSS, no script, nothing fetched), every text from the
    /// data escaped by the template engine; prints with table headers repeated.
    public func renderHTML() throws -> String {
        try HTMLTemplates.render(StatementPage(self), template: "facility")
    }
}

/// What the statement's template reads: strings already formatted.
struct StatementPage {
    struct Card { var label, value: String; var negative: Bool }
    struct Field { var field, value: String }
    struct Balance { var component, amount, usd: String; var negative: Bool }
    struct Installment { var n, date, payment, interest, principal, balance, paid, paidOn, arrears, days, status, statusClass: String }
    struct Schedule {
        var amortization, frequency, annualRate, dueToDate, receivedToDate, arrears, paidAhead: String
        var payment, daysPastDue: String?
        var nextDue: FacilityStatement.Schedule.NextDue?
        var installments: [Installment]
    }
    struct Entry { var date, entryId, eventId, type, amount, reference, description, seal: String; var negative: Bool }

    var facilityId, name, asOf, fiscalPeriod, profile, currency, fxRate, instrument: String
    var knownAt: String?
    var foreign: Bool
    var cards: [Card]
    var flags: [String]
    var pending: [[String: String]]
    var hasPending: Bool
    var terms: [Field]
    var balances: [Balance]
    var schedule: Schedule?
    var entries: [Entry]
    var entryCount: Int

    init(_ s: FacilityStatement) {
        func grouped(_ plain: String) -> String { Grouping.grouped(plain) }
        facilityId = s.facilityId
        name = s.name
        asOf = s.asOf
        fiscalPeriod = s.fiscalPeriod
        knownAt = s.knownAt
        profile = s.profileLine
        currency = s.currency
        fxRate = s.fxRate ?? "no rate yet"
        instrument = s.terms.fields["instrument"] ?? ""
        foreign = s.currency != "USD"
        flags = s.flags
        pending = PendingCertification.pageRows(s.pendingCertification)
        hasPending = !pending.isEmpty
        terms = Facility.columns.filter { !(s.terms.fields[$0] ?? "").isEmpty || $0 == "minerals" }.map { column in
            if column == "minerals" {
                return Field(field: column, value: s.terms.minerals.map { "\($0.name) (\($0.lists.joined(separator: ", ")))" }.joined(separator: "; "))
            }
            return Field(field: column, value: s.terms.fields[column] ?? "")
        }
        balances = s.balances.map {
            Balance(component: $0.component, amount: grouped($0.amount), usd: $0.usd.grouped, negative: $0.usd.minorUnits < 0 || $0.amount.hasPrefix("-"))
        }
        func balance(_ name: String) -> FacilityStatement.Balance? { s.balances.first { $0.component == name } }
        cards = ["outstanding_principal", "accrued_interest", "undisbursed", "exposure"].compactMap { name in
            balance(name).map {
                Card(label: name.replacingOccurrences(of: "_", with: " ") + " (\(s.currency))", value: grouped($0.amount), negative: $0.amount.hasPrefix("-"))
            }
        }
        if let sc = s.schedule {
            cards.append(Card(label: "arrears (\(s.currency))", value: grouped(sc.arrears), negative: sc.daysPastDue > 0))
            cards.append(Card(label: "days past due", value: String(sc.daysPastDue), negative: sc.daysPastDue > 0))
            schedule = Schedule(
                amortization: sc.amortization, frequency: sc.frequency, annualRate: sc.annualRate, dueToDate: grouped(sc.dueToDate),
                receivedToDate: grouped(sc.receivedToDate), arrears: grouped(sc.arrears), paidAhead: grouped(sc.paidAhead),
                payment: sc.payment.map(grouped), daysPastDue: sc.daysPastDue > 0 ? String(sc.daysPastDue) : nil,
                nextDue: sc.nextDue.map { .init(date: $0.date, amount: grouped($0.amount)) },
                installments: sc.installments.map { i in
                    Installment(
                        n: String(i.n), date: i.date, payment: grouped(i.payment), interest: grouped(i.interest), principal: grouped(i.principal),
                        balance: grouped(i.balance), paid: grouped(i.paid), paidOn: i.paidOn ?? "", arrears: grouped(i.arrears),
                        days: i.daysPastDue > 0 ? String(i.daysPastDue) : "", status: i.status.rawValue,
                        statusClass: i.status == .pastDue ? "status-past" : i.status == .paidLate ? "status-late" : "")
                })
        }
        entries = s.entries.map { e in
            Entry(
                date: e.date, entryId: String(e.entryId), eventId: e.eventId, type: e.typeLabel, amount: grouped(e.amount), reference: e.reference,
                description: e.description, seal: e.seal.map { "#\($0.chainSeq) \($0.sha256)" } ?? "unsealed", negative: e.amount.hasPrefix("-"))
        }
        entryCount = s.entries.count
    }
}
