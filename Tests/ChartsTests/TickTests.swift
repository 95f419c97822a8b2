@testable import Charts
import Foundation
import Testing

@Suite struct TickTests {
    /// (lo, hi, maxTicks) -> the ticks a person would expect on the axis.
    static let table: [(Double, Double, Int, [Double])] = [
        (0, 1, 6, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 10, 6, [0, 2, 4, 6, 8, 10]),
        (0, 100, 6, [0, 20, 40, 60, 80, 100]),
        (-1, 1, 5, [-1, -0.5, 0, 0.5, 1]),
        (0.15, 0.95, 6, [0.2, 0.4, 0.6, 0.8]),
        (0, 20, 9, [0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20]),
        (61, 97, 9, [65, 70, 75, 80, 85, 90, 95]),
        (1, 5, 10, [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]),
        (0, 0.001, 6, [0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001]),
        (-3.7, 12.2, 10, [-2, 0, 2, 4, 6, 8, 10, 12]),
    ]

    @Test(arguments: table.indices)
    func niceLinearTicks(_ i: Int) {
        let (lo, hi, n, expected) = Self.table[i]
        let got = TickLocator.linearValues(lo: lo, hi: hi, maxTicks: n)
        #expect(got.count == expected.count, "\(lo)...\(hi): \(got)")
        for (g, e) in zip(got, expected) { #expect(abs(g - e) < 1e-9, "\(lo)...\(hi): \(got)") }
    }

    @Test func tickLabelsUseJustEnoughDecimals() {
        let labels = TickLocator.linear(lo: 0, hi: 20, maxTicks: 9).map(\.label.plain)
        #expect(labels == ["0.0", "2.5", "5.0", "7.5", "10.0", "12.5", "15.0", "17.5", "20.0"])
        #expect(TickLocator.linear(lo: -1, hi: 1, maxTicks: 5).map(\.label.plain) == ["−1.0", "−0.5", "0.0", "0.5", "1.0"])
        #expect(TickLocator.linear(lo: 0, hi: 100, maxTicks: 6).map(\.label.plain) == ["0", "20", "40", "60", "80", "100"])
    }

    @Test func logTicksArePowersOfTenWithSuperscriptExponents() {
        let (major, minor) = TickLocator.log(lo: 2e-8, hi: 0.12, maxTicks: 10)
        #expect(major.map(\.value).map { Int(log10($0).rounded()) } == [-7, -6, -5, -4, -3, -2, -1])
        let five = major.first { abs($0.value - 1e-5) < 1e-12 }
        #expect(five?.label.runs.count == 2)
        #expect(five?.label.runs[0].text == "10")
        #expect(five?.label.runs[1].text == "−5")
        #expect((five?.label.runs[1].scale ?? 1) < 1 && (five?.label.runs[1].rise ?? 0) > 0)
        #expect(minor.contains { abs($0 - 3e-5) < 1e-15 })
        #expect(minor.count == 8 * 7)   // 2..9 x 10^k for k = -8...-2 (0.2 is past 0.12)
    }

    @Test func manyDecadesThinOutMajorTicks() {
        let (major, minor) = TickLocator.log(lo: 1e-20, hi: 1, maxTicks: 6)
        #expect(major.count <= 6 && major.count >= 3)
        #expect(minor.isEmpty)
    }
}

