// Proves exact money: ISO 4217 minor units, parsing that accepts only plain decimal amounts with
// at most the currency's digits, formatting with exactly those digits, and checked arithmetic.
import Ledger
import Testing

@Suite struct MoneyTests {
    let usd = Currency.usd
    let jpy = Currency(code: "JPY")!
    let kwd = Currency(code: "KWD")!

    @Test func minorUnitsFollowISO4217() {
        #expect(usd.minorUnits == 2)
        #expect(jpy.minorUnits == 0)
        #expect(kwd.minorUnits == 3)
        #expect(Currency(code: "CLF")?.minorUnits == 4)
        #expect(Currency(code: "usd") == nil)
        #expect(Currency(code: "XXX") == nil)
        #expect(throws: MoneyError.unknownCurrency("ABC")) { try Currency.named("ABC") }
    }

    @Test func parsesPlainDecimalAmounts() throws {
        #expect(try Money(parsing: "1250000", currency: usd).minorUnits == 125_000_000)
        #expect(try Money(parsing: "12.5", currency: usd) == Money(parsing: "12.50", currency: usd))
        #expect(try Money(parsing: "-0.01", currency: usd).minorUnits == -1)
        #expect(try Money(parsing: "1000", currency: jpy).minorUnits == 1000)
        #expect(try Money(parsing: "1.234", currency: kwd).minorUnits == 1234)
        #expect(try Money(parsing: "92233720368547758.07", currency: usd).minorUnits == .max)
        #expect(try Money(parsing: "-92233720368547758.08", currency: usd).minorUnits == .min)
    }

    @Test func refusesEverythingElse() {
        for bad in ["", "12,34", "1,000.00", "1e5", "+5", "--5", "5-", " 5", "5 ", ".5", "5.", "1.2.3", "$5", "٥", "NaN", "-"] {
            #expect(throws: MoneyError.self, "\(bad)") { try Money(parsing: bad, currency: usd) }
        }
        #expect(throws: MoneyError.tooManyFractionDigits(text: "12.505", currency: "USD", allowed: 2)) {
            try Money(parsing: "12.505", currency: usd)
        }
        #expect(throws: MoneyError.tooManyFractionDigits(text: "1.5", currency: "JPY", allowed: 0)) {
            try Money(parsing: "1.5", currency: jpy)
        }
        #expect(throws: MoneyError.self) { try Money(parsing: "92233720368547758.08", currency: usd) }
        let message = String(describing: MoneyError.tooManyFractionDigits(text: "12.505", currency: "USD", allowed: 2))
        #expect(message == "amount \"12.505\" has more than 2 fraction digits, the most USD has")
    }

    @Test func formatsWithExactlyTheCurrencyDigits() {
        #expect(Money(minorUnits: 125_000_000, currency: usd).formatted == "1250000.00")
        #expect(Money(minorUnits: -5, currency: usd).formatted == "-0.05")
        #expect(Money(minorUnits: 0, currency: usd).formatted == "0.00")
        #expect(Money(minorUnits: 7, currency: jpy).formatted == "7")
        #expect(Money(minorUnits: 1, currency: kwd).description == "0.001 KWD")
        #expect(Money(minorUnits: .min, currency: usd).formatted == "-92233720368547758.08")
    }

    @Test func roundTripsEveryFormattedAmount() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Int64.random(in: .min ... .max, using: &generator)
            for currency in [usd, jpy, kwd] {
                let m = Money(minorUnits: value, currency: currency)
                #expect(try Money(parsing: m.formatted, currency: currency) == m)
            }
        }
    }

    @Test func arithmeticIsChecked() throws {
        let a = Money(minorUnits: .max, currency: usd)
        #expect(throws: MoneyError.self) { try a.adding(Money(minorUnits: 1, currency: usd)) }
        #expect(throws: MoneyError.self) { try Money(minorUnits: .min, currency: usd).negated() }
        #expect(throws: MoneyError.currencyMismatch("USD", "JPY")) { try Money.zero(usd).adding(Money.zero(jpy)) }
        #expect(try Money(minorUnits: 5, currency: usd).subtracting(Money(minorUnits: 7, currency: usd)).minorUnits == -2)
    }

    @Test func exactDecimalsParsePercentAndCompare() throws {
        #expect(ExactDecimal("5.25%") == ExactDecimal("0.0525"))
        #expect(ExactDecimal("5.25%")?.description == "0.0525")
        #expect(ExactDecimal("0.0500")?.normalized.description == "0.05")
        #expect(try #require(ExactDecimal("0.1")) < #require(ExactDecimal("0.10001")))
        #expect(try #require(ExactDecimal("-1")) < #require(ExactDecimal("0.000000000000000001")))
        #expect(try #require(ExactDecimal("9999999999999999999")) > #require(ExactDecimal("9999999999999999998.999999999999999999")))
        for bad in ["", "1e5", "+1", "1,5", ".5", "5.", "%", "0.0000000000000000001", "12345678901234567890"] {
            #expect(ExactDecimal(bad) == nil, "\(bad)")
        }
        #expect(Set([ExactDecimal("0.5")!, ExactDecimal("0.50")!]).count == 1)
        #expect(ExactDecimal("0." + String(repeating: "9", count: 60)) == nil, "refused, not an overflow trap")
    }
}
