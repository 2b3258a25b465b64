// Proves a share's rounding (4 places, half away from zero) in 128-bit integers at its edges.
@testable import Reports
import Testing

@Suite struct ShareTests {
    @Test func sharesRoundHalfAwayFromZero() {
        #expect(ExposureReport.share(USD(1), of: USD(3)) == "0.3333")
        #expect(ExposureReport.share(USD(2), of: USD(3)) == "0.6667")
        #expect(ExposureReport.share(USD(1), of: USD(20_000)) == "0.0001", "0.00005 rounds away from zero")
        #expect(ExposureReport.share(USD(-1), of: USD(20_000)) == "-0.0001")
        #expect(ExposureReport.share(USD(1), of: USD(20_001)) == "0.0000")
        #expect(ExposureReport.share(USD(5), of: USD(0)) == "0.0000")
        #expect(ExposureReport.share(USD(.max), of: USD(.max)) == "1.0000", "no overflow")
        #expect(ExposureReport.share(USD(.max / 2), of: USD(.max)) == "0.5000")
    }
}
