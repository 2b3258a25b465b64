import Ledger

extension ExposureReport {
    /// The facility columns of the terminal table: what fits in 120 columns. The rest are in CSV
    /// and JSON.
    static let narrowColumns: [TextTable.Column] = [
        .init("facility_id"), .init("instrument"), .init("ccy"), .init("principal", .right), .init("undisbursed", .right),
        .init("exposure", .right), .init("share", .right), .init("change", .right), .init("!"),
    ]

    /// "+1,000.00" or "-1,000.00": the direction of a change is never left to a reader's eye.
    static func signed(_ a: USD) -> String { a.minorUnits > 0 ? "+" + a.grouped : a.grouped }

    /// The report for a terminal: the heading with the fiscal period, one row per facility with
    /// a totals row, the flags, each roll-up and the limits.
    public func renderText() -> String {
        var out = "Exposure report \(month) (\(fiscalPeriod)), as of \(asOf)" + (knownAt.map { ", as known at \($0)" } ?? "") + "\n"
        out += "USD; non-USD facilities at the latest rate on or before \(asOf). All columns: --format csv or json.\n\n"
        var table = TextTable(columns: Self.narrowColumns)
        for r in facilities {
            let a = r.amounts
            table.append([
                r.facilityId, r.instrument, r.currency, a.outstandingPrincipal.grouped, a.undisbursed.grouped, a.exposure.grouped, r.share,
                Self.signed(a.change), r.flags.isEmpty ? "" : "!",
            ])
        }
        table.append(Array(repeating: "", count: Self.narrowColumns.count))
        table.append([
            "TOTAL", "\(facilities.count) facilities", "USD", totals.outstandingPrincipal.grouped, totals.undisbursed.grouped, totals.exposure.grouped,
            facilities.isEmpty ? "0.0000" : "1.0000", Self.signed(totals.change), "",
        ])
        out += table.renderText()
        let flagged = facilities.filter { !$0.flags.isEmpty }
        if !flagged.isEmpty {
            out += "\n! Flags (abnormal balances, notices due; reported, not refused):\n"
            for r in flagged { out += "  \(r.facilityId): \(r.flags.joined(separator: "; "))\n" }
        }
        for d in dimensions where d != .facility {
            guard let rows = groups[d.rawValue] else { continue }
            var t = TextTable(columns: [.init(d.rawValue), .init("exposure", .right), .init("share", .right)])
            for g in rows { t.append([g.key, g.exposure.grouped, g.share]) }
            t.append(["TOTAL", totals.exposure.grouped, facilities.isEmpty ? "0.0000" : "1.0000"])
            out += "\nBy \(d.rawValue)\n" + t.renderText()
        }
        var limitsTable = TextTable(columns: [.init("limit"), .init("severity"), .init("cap", .right), .init("used", .right), .init("utilization", .right), .init("status")])
        // A shortfall's limit id carries its text: shortened here (in full in CSV, JSON and HTML).
        func short(_ id: String) -> String { id.count > 48 ? id.prefix(47) + "…" : id }
        for l in limits { limitsTable.append([short(l.limit), l.severity, l.cap.grouped, l.used.grouped, l.utilization, l.status]) }
        out += "\nLimits on \(asOf)\n" + limitsTable.renderText()
        out += PendingCertification.section(pendingCertification)
        return out
    }

    /// Every column of every facility row, amounts without grouping (CSV).
    public var csvTable: TextTable {
        let amountNames = Amounts().columns.map(\.name)
        var table = TextTable(
            columns: ["facility_id", "name", "instrument", "authority", "country", "minerals", "cohort_fy", "currency", "fx_rate"].map { .init($0) }
                + amountNames.map { .init($0, .right) } + [.init("share", .right), .init("flags")])
        for r in facilities {
            table.append(
                [r.facilityId, r.name, r.instrument, r.authority, r.country, r.minerals.joined(separator: ";"), String(r.cohortFy), r.currency, r.fxRate]
                    + r.amounts.columns.map(\.value.plain) + [r.share, r.flags.joined(separator: "; ")])
        }
        return table
    }
}
