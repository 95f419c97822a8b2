@testable import Charts
import Foundation
import Testing

/// Title fitting, legend placement, reference-line limits, rows of different lengths and end
/// labels, on synthetic data.
@Suite struct LayoutFitTests {
    let dir = temporaryDirectory()

    /// A monospaced stand-in for FreeType: every character is 0.6 em wide.
    static func measure(_ text: String, _ sizePx: Double) -> Double { Double(text.count) * 0.6 * sizePx }

    // MARK: - Titles

    @Test func aTitleThatFitsIsLeftAlone() {
        let fit = TitleFit.fit("Training Loss", sizePx: 16, maxWidth: 200, measure: Self.measure)
        #expect(fit == FittedTitle(lines: ["Training Loss"], sizePx: 16))
    }

    @Test func aSlightlyWideTitleShrinksALittle() {
        // 13 characters at 16 px = 124.8 px, in 115 px: 92% of the size, still one line.
        let fit = TitleFit.fit("Training Loss", sizePx: 16, maxWidth: 115, measure: Self.measure)
        #expect(fit.lines == ["Training Loss"])
        #expect(fit.sizePx < 16 && fit.sizePx >= 16 * TitleFit.slightShrink)
        #expect(Self.measure(fit.lines[0], fit.sizePx) <= 115)
    }

    @Test func aMuchWiderTitleWrapsIntoTwoBalancedLines() {
        let title = "VGG-16 + BN (untrained): Gradient Magnitudes"   // 44 characters, 422 px at 16 px
        let fit = TitleFit.fit(title, sizePx: 16, maxWidth: 260, measure: Self.measure)
        #expect(fit.sizePx == 16)
        #expect(fit.lines == ["VGG-16 + BN (untrained):", "Gradient Magnitudes"])
        for line in fit.lines { #expect(Self.measure(line, fit.sizePx) <= 260) }
    }

    @Test func aTitleInATinyPanelIsShrunkThenCut() {
        let title = "VGG-16 + BN (untrained): Gradient Magnitudes"
        let wrappedSmall = TitleFit.fit(title, sizePx: 16, maxWidth: 170, measure: Self.measure)
        #expect(wrappedSmall.lines.count == 2 && wrappedSmall.sizePx < 16 && wrappedSmall.sizePx >= 16 * TitleFit.minimumScale)
        for line in wrappedSmall.lines { #expect(Self.measure(line, wrappedSmall.sizePx) <= 170) }
        let cut = TitleFit.fit(title, sizePx: 16, maxWidth: 60, measure: Self.measure)
        #expect(cut.sizePx == 16 * TitleFit.minimumScale)
        for line in cut.lines {
            #expect(Self.measure(line, cut.sizePx) <= 60)
            #expect(line.hasSuffix("…"))
        }
    }

    @Test func titleSpaceReachesHalfWayToTheNeighbours() {
        let style = Style(dpi: 100)
        let boxes = [PixelRect(x0: 60, y0: 0, x1: 260, y1: 100), PixelRect(x0: 340, y0: 0, x1: 540, y1: 100)]
        let widths = Layout.titleSpace(boxes: boxes, rowLengths: [2], width: 560, style: style)
        // Left box: centre 160, half-way to the neighbour at 300 (nearer than the figure pad) -> 2 * 140.
        #expect(abs(widths[0] - 280) < 1e-9)
        // Right box: centre 440, half-way to the left neighbour at 300, figure edge at 548.9 -> 2 * 108.9.
        #expect(abs(widths[1] - 2 * (560 - style.figurePad - 440)) < 1e-9)
    }

    /// The Exercise 5 case: a long title over the right-most of five narrow panels.
    @Test func aLongTitleOverTheLastPanelStaysInsideTheFigure() throws {
        let fig = Figure(width: 12, height: 4)
        let axes = fig.subplots(rows: 1, cols: 5)
        for (i, ax) in axes.enumerated() {
            ax.bar([0, 1, 2], [1, 2, 3])
            ax.setTitle(i == 4 ? "VGG-16 + BN (untrained): Gradient Magnitudes, a very long title" : "Short")
        }
        try fig.savefig(dir + "/long-title.png")
        let png = try readPNG(dir + "/long-title.png")
        let edgeInk = (0..<png.height).flatMap { y in [0, 1, png.width - 2, png.width - 1].map { (x: $0, y: y) } }
            .filter { !png.isWhite($0.x, $0.y) }
        #expect(edgeInk.isEmpty, "ink on the figure's edge at \(edgeInk.prefix(3))")
        let g = try #require(axes[4].geometry), left = try #require(axes[3].geometry)
        let title = try #require(g.title)
        #expect(title.lines.count == 2 || title.sizePx < Style(dpi: 100).titleFont.sizePx)
        // No title ink left of half-way between the two panels.
        let boundary = (left.box.x1 + g.box.x0) / 2
        let strayInk = (0..<(g.box.y0 - 2)).flatMap { y in ((left.box.x1 + 2)..<boundary).map { (x: $0, y: y) } }
            .filter { !png.isWhite($0.x, $0.y) }
        #expect(strayInk.isEmpty, "title ink over the neighbour's half at \(strayInk.prefix(3))")
    }

    // MARK: - Legends

    /// Bars tall on one side and short on the other: the legend goes over the short ones.
    @Test(arguments: [false, true])
    func legendGoesOverTheShortBars(tallOnLeft: Bool) throws {
        let fig = Figure(width: 6, height: 4)
        let ax = fig.singleAxes()
        let heights = (0..<10).map { i in (i < 5) == tallOnLeft ? 9.0 : 1.0 }
        ax.bar((0..<10).map(Double.init), heights, label: "bars")
        ax.setYLim(0, 10)
        ax.legend()
        _ = fig.render()
        let g = try #require(ax.geometry)
        let legend = try #require(Legend(axes: ax, dpi: fig.dpi))
        let (samples, rects) = ax.legendObstacles(in: g)
        let location = legend.bestLocation(in: g.box, samples: samples, barRects: rects)
        #expect(location == (tallOnLeft ? .upperRight : .upperLeft))
        #expect(Legend.overlap(legend.frame(location, in: g.box), samples: samples, barRects: rects) == 0)
    }

    /// Bars everywhere up to near the top (the Exercise 5 panels): with an automatic y axis,
    /// the axis grows at the top until the legend fits above the bars.
    @Test(arguments: [Scale.linear, .log])
    func legendGetsRoomAboveBarsThatFillTheAxes(scale: Scale) throws {
        let fig = Figure(width: 5, height: 4)
        let ax = fig.singleAxes()
        let heights: [Double] = (0..<20).map { (i: Int) -> Double in
            let k = Double(i % 3)
            return scale == .log ? pow(10.0, -1.0 - 0.2 * k) : 0.9 + 0.05 * k
        }
        ax.bar((0..<20).map(Double.init), heights, label: "conv / linear weight")
        ax.bar((0..<20).map { Double($0) + 0.4 }, heights.map { $0 / 3 }, width: 0.3, label: "BatchNorm scale (γ)")
        ax.setYScale(scale)
        if scale == .log { ax.axhline(1e-5, label: "Very small gradient") }
        ax.legend()
        _ = fig.render()
        let g = try #require(ax.geometry)
        let legend = try #require(Legend(axes: ax, dpi: fig.dpi))
        let (samples, rects) = ax.legendObstacles(in: g)
        let location = legend.bestLocation(in: g.box, samples: samples, barRects: rects)
        #expect(Legend.overlap(legend.frame(location, in: g.box), samples: samples, barRects: rects) == 0)
        // The room is made at the top only: the automatic bottom is unchanged.
        #expect(g.y.lo == ax.limits(vertical: true).lo)
        #expect(g.y.hi > ax.limits(vertical: true).hi)
    }

    @Test func fixedLimitsAreNeverChangedForALegend() throws {
        let fig = Figure(width: 5, height: 4)
        let ax = fig.singleAxes()
        ax.bar((0..<20).map(Double.init), Array(repeating: 1.0, count: 20), label: "bars")
        ax.setYLim(0, 1.05)
        ax.legend()
        _ = fig.render()
        #expect(try #require(ax.geometry).y.hi == 1.05)
    }

    // MARK: - Reference lines

    /// matplotlib's axhline widens automatic limits: the 1e-5 line is drawn even when every bar
    /// is far above it.
    @Test func axhlineWidensAutomaticLimits() throws {
        let fig = Figure(width: 6, height: 4)
        let ax = fig.singleAxes()
        ax.bar([0, 1, 2], [1e-2, 1e-1, 1], color: .gray)
        ax.setYScale(.log)
        ax.axhline(1e-5, color: .red, lineStyle: .dashed)
        ax.axvline(7, color: .blue)
        let (ylo, _) = ax.limits(vertical: true), (_, xhi) = ax.limits(vertical: false)
        #expect(ylo < 1e-5 && ylo > 1e-6)
        #expect(xhi > 7)
        try fig.savefig(dir + "/axhline.png")
        let png = try readPNG(dir + "/axhline.png")
        let g = try #require(ax.geometry)
        let y = Int(try #require(g.y.pixel(1e-5)))
        try #require(y > g.box.y0 && y < g.box.y1 - 1, "the line at row \(y) is outside the box")
        let red = (g.box.x0..<g.box.x1).filter { x in (y - 1...y + 1).contains { png.isRed(x, $0) } }
        #expect(red.count > g.box.width / 3)   // dashed: at least a third of the width
    }

    // MARK: - Rows of different lengths

    @Test func rowsOfDifferentLengthsFillTheWidthWithoutEmptyCells() throws {
        let fig = Figure(width: 15, height: 8)
        let axes = fig.subplots(perRow: [3, 5])
        #expect(axes.count == 8)
        for ax in axes { ax.plot([0, 1], [0, 1]); ax.setTitle("Panel") }
        _ = fig.render()
        let boxes = try axes.map { try #require($0.geometry).box }
        let top = Array(boxes[0..<3]), bottom = Array(boxes[3..<8])
        // Both rows start and end at about the same place, and nothing overlaps.
        #expect(abs(top[0].x0 - bottom[0].x0) <= 2 && abs(top[2].x1 - bottom[4].x1) <= 2)
        for row in [top, bottom] { for (a, b) in zip(row, row.dropFirst()) { #expect(a.x1 < b.x0 && a.y0 == b.y0) } }
        #expect(top[0].y1 < bottom[0].y0)
        #expect(top[0].width > bottom[0].width * 3 / 2)
    }

    // MARK: - End labels

    @Test func endLabelsKeepTheirPlaceWhenTheyDoNotTouch() {
        let ys = EndLabels.spread([100, 20, 60], spacing: 12, lo: 0, hi: 200)
        #expect(ys == [100, 20, 60])
    }

    @Test func endLabelsThatWouldOverlapAreSpreadAroundTheirMean() {
        let targets = [50.0, 52, 55, 150]
        let ys = EndLabels.spread(targets, spacing: 12, lo: 0, hi: 200)
        let sorted = ys.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(b - a >= 12 - 1e-9) }
        #expect(abs((ys[0] + ys[1] + ys[2]) / 3 - (50 + 52 + 55) / 3) < 1e-9)   // the group is centred on its targets
        #expect(ys[3] == 150)
        #expect(ys[0] < ys[1] && ys[1] < ys[2])                                  // order kept
        // Near an edge the group is pushed inside.
        let edge = EndLabels.spread([1, 2, 3], spacing: 12, lo: 0, hi: 200)
        #expect(edge.min()! >= 6 && edge.max()! <= 200)
    }

    @Test func endLabelsGetRoomRightOfTheAxes() throws {
        let fig = Figure(width: 6, height: 4)
        let ax = fig.singleAxes()
        ax.plot([0, 10], [5, 6], endLabel: "test 6.0%")
        ax.plot([0, 10], [5, 6.01], endLabel: "train 6.0%")
        try fig.savefig(dir + "/end-labels.png")
        let png = try readPNG(dir + "/end-labels.png")
        let g = try #require(ax.geometry)
        let placed = EndLabels.place(ax, g, Style(dpi: fig.dpi))
        #expect(placed.count == 2)
        #expect(abs(placed[0].y - placed[1].y) >= 10)
        // Text right of the box, and nothing on the figure's right edge.
        var ink = 0
        for x in (g.box.x1 + 2)..<png.width { for y in g.box.y0..<g.box.y1 where !png.isWhite(x, y) { ink += 1 } }
        #expect(ink > 20)
        for y in 0..<png.height { for x in [png.width - 2, png.width - 1] { #expect(png.isWhite(x, y)) } }
    }
}
