import Foundation
import Ledger

extension ExposureReport {
    /// One self-contained HTML page: inline CSS and SVG, no script, nothing fetched; every text
    /// from the data escaped by the template engine (swift-mustache's `{{ }}`); each chart with a
    /// `<title>` and its numbers in a table beside it; a landscape print stylesheet.
    public func renderHTML() throws -> String {
        try HTMLTemplates.render(HTMLPage(self), template: "exposure")
    }
}

/// What the template reads: strings already formatted, chart geometry already computed.
struct HTMLPage {
    struct Cell { var text: String; var negative: Bool }
    struct Row {
        var facilityId, name, instrument, authority, country, minerals, currency, fxRate, share, change: String
        var position: [Cell]
        var activity: [Cell]
        var changeNegative: Bool
        var flags: [String]
    }
    struct Bar { var label, value, share: String; var x, y, textY, barWidth, valueX: Int }
    struct Chart { var id, title, dimension: String; var width, height: Int; var bars: [Bar] }
    struct Gauge { var id, title, utilization, percent, used, cap, status, arc: String }
    struct Point { var month, value: String; var x, y, barHeight, labelX, labelY: Int }
    struct Trend { var title: String; var width, height: Int; var points: [Point] }
    struct GroupRow { var key, exposure, share: String }
    struct GroupTable { var dimension: String; var rows: [GroupRow] }

    var month, fiscalPeriod, asOf: String
    var knownAt: String?
    var totalExposure, totalChange: String
    var changeNegative: Bool
    var facilityCount: Int
    var limitsNotOk: Int
    var gauges: [Gauge]
    var limits: [[String: String]]
    var pending: [[String: String]]
    var hasPending: Bool
    var charts: [Chart]
    var trend: Trend?
    var facilities: [Row]
    var totalPosition: [Cell]
    var totalActivity: [Cell]
    var groupTables: [GroupTable]

    init(_ r: ExposureReport) {
        month = r.month
        fiscalPeriod = r.fiscalPeriod
        asOf = r.asOf
        knownAt = r.knownAt
        totalExposure = r.totals.exposure.grouped
        totalChange = ExposureReport.signed(r.totals.change)
        changeNegative = r.totals.change.minorUnits < 0
        facilityCount = r.facilities.count
        limitsNotOk = r.limits.filter { $0.status != "ok" }.count
        // The facility table is split in two so that it fits a landscape page: what is owed and
        // exposed, then what was obligated and paid.
        func cells(_ values: [USD]) -> [Cell] { values.map { Cell(text: $0.grouped, negative: $0.minorUnits < 0) } }
        func position(_ a: ExposureReport.Amounts) -> [Cell] {
            cells([a.outstandingPrincipal, a.undisbursed, a.accruedInterest, a.guaranteeOutstanding, a.equityCost, a.equityFairValue, a.exposure])
        }
        func activity(_ a: ExposureReport.Amounts) -> [Cell] { cells([a.obligated, a.deobligated, a.disbursed, a.disbursedInMonth, a.repaid]) }
        facilities = r.facilities.map {
            Row(
                facilityId: $0.facilityId, name: $0.name, instrument: $0.instrument, authority: $0.authority, country: $0.country,
                minerals: $0.minerals.joined(separator: ", "), currency: $0.currency, fxRate: $0.fxRate, share: $0.share,
                change: ExposureReport.signed($0.amounts.change), position: position($0.amounts), activity: activity($0.amounts), changeNegative: $0.amounts.change.minorUnits < 0,
                flags: $0.flags)
        }
        totalPosition = position(r.totals)
        totalActivity = activity(r.totals)
        limits = r.limits.map {
            ["limit": $0.limit, "severity": $0.severity, "cap": $0.cap.grouped, "used": $0.used.grouped, "utilization": $0.utilization, "status": $0.status]
        }
        pending = PendingCertification.pageRows(r.pendingCertification)
        hasPending = !pending.isEmpty
        gauges = r.limits.filter { $0.limit == "mcl" || $0.limit.hasPrefix("equity-share") }.map { Self.gauge($0) }
        charts = [ExposureDimension.mineral, .country, .instrument].compactMap { d in
            r.groups[d.rawValue].map { Self.chart(d, $0) }
        }
        trend = r.trend.map(Self.trend)
        groupTables = r.dimensions.filter { $0 != .facility }.compactMap { d in 
            r.groups[d.rawValue].map { GroupTable(dimension: d.rawValue, rows: $0.map { GroupRow(key: $0.key, exposure: $0.exposure.grouped, share: $0.share) }) }
        }
    }

    /// Horizontal bars, longest = 300 px; widths in whole pixels from exact integer shares.
    static func chart(_ d: ExposureDimension, _ groups: [ExposureReport.Group]) -> Chart {
        let largest = max(groups.map(\.exposure.minorUnits).max() ?? 0, 1)
        let labelWidth = 130
        let bars = groups.enumerated().map { i, g in
            let width = Int(max(g.exposure.minorUnits, 0) * 300 / largest)
            return Bar(
                label: g.key, value: g.exposure.grouped, share: g.share, x: labelWidth, y: i * 22 + 4, textY: i * 22 + 16, barWidth: width,
                valueX: labelWidth + width + 6)
        }
        return Chart(id: "by-\(d.rawValue)", title: "Exposure by \(d.rawValue)", dimension: d.rawValue, width: labelWidth + 360, height: max(bars.count, 1) * 22 + 8, bars: bars)
    }

    /// A half-circle gauge; the arc's end point is chart geometry, the only use of floating point
    /// here (the figures printed come from the report's exact strings).
    static func gauge(_ l: ExposureReport.LimitRow) -> Gauge {
        let fraction = l.cap.minorUnits > 0 ? min(Double(max(l.used.minorUnits, 0)) / Double(l.cap.minorUnits), 1) : 0
        let angle = Double.pi * (1 - fraction)
        let x = 110 + 80 * cos(angle)
        let y = 110 - 80 * sin(angle)
        let arc = fraction > 0 ? String(format: "M 30 110 A 80 80 0 0 1 %.2f %.2f", x, y) : ""
        let title = l.limit == "mcl" ? "Maximum contingent liability" : "Equity share of exposure"
        // "0.1234" → "12.34%": the same digits, the point moved.
        let percent = ExactDecimal(l.utilization).map { ExactDecimal(significand: $0.significand, scale: 2).description + "%" } ?? l.utilization
        return Gauge(id: "gauge-\(l.limit)", title: title, utilization: l.utilization, percent: percent, used: l.used.grouped, cap: l.cap.grouped, status: l.status, arc: arc)
    }

    /// Vertical bars, one per month end, tallest = 160 px.
    static func trend(_ points: [ExposureReport.TrendPoint]) -> Trend {
        let largest = max(points.map(\.exposure.minorUnits).max() ?? 0, 1)
        let top = 10
        let plot = 160
        let out = points.enumerated().map { i, p in
            let h = Int(max(p.exposure.minorUnits, 0) * Int64(plot) / largest)
            return Point(month: p.month, value: p.exposure.grouped, x: 10 + i * 48, y: top + plot - h, barHeight: h, labelX: 27 + i * 48, labelY: top + plot + 16)
        }
        return Trend(title: "Total exposure, last \(points.count) month ends", width: 20 + points.count * 48, height: top + plot + 28, points: out)
    }
}
