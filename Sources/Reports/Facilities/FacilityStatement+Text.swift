import Foundation
import Ledger

extension FacilityStatement.Entry {
    /// "repay", "disburse, reversed by 412", "reversal of 398".
    var typeLabel: String {
        type + (reversedBy.map { ", reversed by \($0)" } ?? "") + (reverses.map { " of \($0)" } ?? "")
    }
}

extension FacilityStatement {
    /// The terms: "60,000,000.00 USD at 6.5% (act-365f), quarterly, bullet", then "first payment
    /// 2026-09-30, maturity 2030-09-30, grace 0 months" (none for an instrument without terms).
    var termsLines: [String] {
        let t = terms.fields
        func field(_ name: String) -> String { t[name] ?? "" }
        var amount = "\(Grouping.grouped(field("obligated"))) \(currency)"
        guard !field("day_count").isEmpty else { return [amount] }
        let rate = field("rate").isEmpty ? "\(field("rate_index")) + \(field("spread"))" : field("rate")
        amount += " at \(rate) (\(field("day_count"))), \(field("frequency")), \(field("amortization"))"
        return [amount, "first payment \(field("first_payment")), maturity \(field("maturity")), grace \(field("grace_months")) months"]
    }

    /// Who and what: counterparty, instrument, authority, place, minerals.
    var profileLine: String {
        let t = terms.fields
        let place = [t["country"] ?? "", t["state"] ?? ""].filter { !$0.isEmpty }.joined(separator: "-")
        return "\(t["counterparty"] ?? ""); \(t["instrument"] ?? "") under \(t["authority"] ?? ""); \(place); "
            + terms.minerals.map(\.name).joined(separator: ", ") + "; cohort FY\(t["cohort_fy"] ?? "")"
    }

    /// "#1234 3fa9c1e0b2d4…" or "unsealed".
    static func sealText(_ seal: Entry.Seal?) -> String {
        seal.map { "#\($0.chainSeq) \($0.sha256.prefix(12))…" } ?? "unsealed"
    }

    /// The statement for a terminal, in 120 columns: heading, balances, the schedule against
    /// receipts, every entry. Full seals, references and descriptions: --format json or html.
    public func renderText() -> String {
        var out = "Statement of \(facilityId) \(name)\n"
        out += "As of \(asOf) (\(fiscalPeriod))" + (knownAt.map { ", as known at \($0)" } ?? "") + "\n"
        out += "Facility:  " + profileLine + "\n"
        out += "Terms:     " + termsLines.joined(separator: "\n           ") + "\n"
        if currency != "USD" {
            out += "USD:       " + (fxRate.map { "\($0) per \(currency), the latest rate on or before \(asOf)" } ?? "no \(currency) rate on or before \(asOf) (nothing to convert)") + "\n"
        }

        var balanceTable = TextTable(
            columns: [.init("balance")] + (currency == "USD" ? [] : [.init(currency, .right)]) + [.init("USD", .right)])
        for b in balances {
            balanceTable.append([b.component] + (currency == "USD" ? [] : [Grouping.grouped(b.amount)]) + [b.usd.grouped])
        }
        out += "\n" + balanceTable.renderText()

        if let s = schedule {
            out += "\nSchedule against receipts (\(s.amortization), \(s.frequency), \(s.annualRate)"
            out += (s.payment.map { "; level payment \(Grouping.grouped($0))" } ?? "") + "), \(currency)\n"
            var table = TextTable(columns: [
                .init("n", .right), .init("due"), .init("payment", .right), .init("paid", .right), .init("paid_on"), .init("arrears", .right),
                .init("days", .right), .init("status"),
            ])
            for i in s.installments {
                table.append([
                    String(i.n), i.date, Grouping.grouped(i.payment), Grouping.grouped(i.paid), i.paidOn ?? "", Grouping.grouped(i.arrears),
                    i.daysPastDue > 0 ? String(i.daysPastDue) : "", i.status.rawValue,
                ])
            }
            out += table.renderText() + "\n"
            var summary: [(label: String, amount: String, note: String)] = [
                ("due to \(asOf)", s.dueToDate, ""), ("received", s.receivedToDate, ""),
                ("arrears", s.arrears, s.daysPastDue > 0 ? "the oldest \(s.daysPastDue) days past due" : ""), ("paid ahead", s.paidAhead, ""),
            ]
            if let next = s.nextDue { summary.append(("next due", next.amount, "on \(next.date)")) }
            let labelWidth = summary.map(\.label.count).max()!
            let amountWidth = summary.map { Grouping.grouped($0.amount).count }.max()!
            for (label, amount, note) in summary {
                let figure = Grouping.grouped(amount)
                let line = label + String(repeating: " ", count: labelWidth - label.count + 2 + amountWidth - figure.count) + figure + "  " + note
                out += line.trimmingCharacters(in: .whitespaces) + "\n"
            }
        } else {
            out += "\nNo repayment schedule (\(terms.fields["instrument"] ?? "")): only a direct loan has one.\n"
        }

        if !flags.isEmpty {
            out += "\n! " + flags.joined(separator: "; ") + "\n"
        }

        out += PendingCertification.section(pendingCertification)
        out += "\nEntries (\(entries.count))\n"
        var table = TextTable(columns: [.init("date"), .init("entry", .right), .init("event_id"), .init("type"), .init("amount", .right), .init("seal")])
        for e in entries {
            table.append([e.date, String(e.entryId), e.eventId, e.typeLabel, Grouping.grouped(e.amount), Self.sealText(e.seal)])
        }
        out += table.renderText()
        return out
    }
}
