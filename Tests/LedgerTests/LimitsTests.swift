// Proves the limit arithmetic of DOMAIN.md §2: exposure per instrument, USD conversion rounded
// half away from zero, dated configuration, and each kind of limit's cap, use and state.
import Dates
import Ledger
import Testing

@Suite struct LimitsTests {
    func row(_ id: String, _ instrument: Instrument, country: String = "US", mineral: String = "graphite", exposure: Int64) -> ExposureRow {
        ExposureRow(facilityID: id, instrument: instrument, authority: .dpa303, country: country, primaryMineral: mineral, obligor: "Co \(id)", shortfall: "", exposure: exposure, netObligation: exposure)
    }

    @Test func exposurePerInstrument() {
        var p = FacilityPosition()
        p.obligated = 1_000
        p.deobligated = 100
        p.disbursed = 300
        p.principal = 250
        p.equityCost = 300
        p.guaranteeOutstanding = 5_000
        #expect(Limits.exposure(.directLoan, p) == 250 + 600)
        #expect(Limits.exposure(.equity, p) == 300 + 600)
        #expect(Limits.exposure(.purchaseCommitment, p) == 600)
        #expect(Limits.exposure(.loanGuarantee, p) == 5_000)
        #expect(Limits.exposure(.grant, p) == 0)
    }

    @Test func usdConversionRoundsOnce() {
        let aud = Currency(code: "AUD")!
        #expect(Limits.usd(100_000_001, currency: aud, usdPerUnit: ExactDecimal("0.6582")) == 65_820_001)  // 658,200.00658 → .01
        #expect(Limits.usd(1_000, currency: Currency(code: "JPY")!, usdPerUnit: ExactDecimal("0.006655")) == 666)  // 6.655 USD → 6.66
        #expect(Limits.usd(5, currency: .usd, usdPerUnit: nil) == 5)
        #expect(Limits.usd(5, currency: aud, usdPerUnit: nil) == nil)
    }

    @Test func datedConfigurationAndConcentration() {
        let configs = [
            LimitConfig(id: "mcl", effectiveFrom: CivilDate(iso: "2019-12-20")!, kind: .mcl, amount: 10_000, share: nil, severity: .block),
            LimitConfig(id: "mcl", effectiveFrom: CivilDate(iso: "2025-12-18")!, kind: .mcl, amount: 20_000, share: nil, severity: .block),
            LimitConfig(id: "country", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .countryShare, amount: nil, share: ExactDecimal("25%"), severity: .warn),
        ]
        #expect(Limits.inEffect(configs, on: CivilDate(iso: "2025-12-17")!).first { $0.id == "mcl" }?.amount == 10_000)
        let now = Limits.inEffect(configs, on: CivilDate(iso: "2026-01-01")!)
        let status = Limits.evaluate(now, [row("a", .directLoan, country: "US", exposure: 6_000), row("b", .equity, country: "AU", exposure: 4_000)])
        #expect(status.map { "\($0.limit) \($0.cap) \($0.used) \($0.state.rawValue) \($0.utilization)" } == [
            "country:AU 5000 4000 ok 0.8000", "country:US 5000 6000 warn 1.2000", "mcl 20000 10000 ok 0.5000",
        ])
        let after = Limits.evaluate(now, [row("a", .directLoan, country: "US", exposure: 6_500), row("b", .equity, country: "AU", exposure: 4_000)])
        #expect(Limits.crossings(before: status, after: after).map(\.limit) == ["country:US"], "only what the event increased")
    }

    /// The sums kept event by event give the crossings a full evaluation over every row gives,
    /// for random portfolios and random changes to one facility at a time.
    @Test func keptSumsFindTheCrossingsOfAFullEvaluation() {
        var rng = SystemRandomNumberGenerator()
        let configs = [
            LimitConfig(id: "mcl", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .mcl, amount: 60_000, share: nil, severity: .block),
            LimitConfig(id: "equity", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .equityShare, amount: nil, share: ExactDecimal("30%"), severity: .block),
            LimitConfig(id: "s302", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .dpa302Shortfall, amount: 9_000, share: nil, severity: .warn),
            LimitConfig(id: "country", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .countryShare, amount: nil, share: ExactDecimal("40%"), severity: .warn),
            LimitConfig(id: "mineral", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .mineralShare, amount: nil, share: ExactDecimal("35%"), severity: .block),
            LimitConfig(id: "obligor", effectiveFrom: CivilDate(iso: "2020-01-01")!, kind: .obligorShare, scope: "Co 1", amount: nil, share: ExactDecimal("10%"), severity: .warn),
        ]
        func random(_ i: Int) -> ExposureRow {
            let instruments: [Instrument] = [.directLoan, .equity, .loanGuarantee, .purchaseCommitment, .grant]
            let authorities: [Authority] = [.dpa302, .dpa303, .build9621]
            return ExposureRow(
                facilityID: "f\(i)", instrument: instruments.randomElement(using: &rng)!, authority: authorities.randomElement(using: &rng)!,
                country: ["US", "CA", "AU"].randomElement(using: &rng)!, primaryMineral: ["graphite", "lithium", "cobalt"].randomElement(using: &rng)!,
                obligor: "Co \(Int.random(in: 0..<4, using: &rng))", shortfall: ["", "s1", "s2"].randomElement(using: &rng)!,
                exposure: Int64.random(in: 0...8_000, using: &rng), netObligation: Int64.random(in: 0...8_000, using: &rng))
        }
        for _ in 0..<100 {
            var rows = (0..<12).map(random)
            var totals = ExposureTotals(rows)
            for _ in 0..<20 {
                let i = Int.random(in: 0..<rows.count, using: &rng)
                var changed = rows[i]
                changed.exposure = Int64.random(in: 0...12_000, using: &rng)
                changed.netObligation = Int64.random(in: 0...12_000, using: &rng)
                var after = rows
                after[i] = changed
                let full = Limits.crossings(before: Limits.evaluate(configs, rows), after: Limits.evaluate(configs, after))
                let next = totals.replacing(rows[i], with: changed)
                let kept = Limits.crossings(
                    before: Limits.evaluate(configs, totals, only: rows[i]), after: Limits.evaluate(configs, next, only: changed))
                #expect(kept == full)
                #expect(next == ExposureTotals(after), "the same sums as adding every row again")
                rows = after
                totals = next
            }
        }
    }
}
