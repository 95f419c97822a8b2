@testable import Charts
import Foundation
import Testing

@Suite struct RenderTests {
    let dir = temporaryDirectory()

    @Test func figureSizeInInchesTimesDpiGivesPixels() throws {
        let fig = Figure(width: 14, height: 5)
        fig.subplots(rows: 1, cols: 2)[0].plot([1, 2, 3], [3, 1, 2])
        try fig.savefig(dir + "/size.png")
        let png = try readPNG(dir + "/size.png")
        #expect(png.width == 1400 && png.height == 500)
        #expect(png.bitDepth == 8 && png.colorType == 2)   // 8-bit RGB
    }

    @Test func barOfKnownHeightCoversExpectedRows() throws {
        let fig = Figure(width: 4, height: 4)
        let ax = fig.singleAxes()
        ax.bar([0], [5], width: 0.5, color: "red")
        ax.setYLim(0, 10)
        try fig.savefig(dir + "/bar.png")
        let png = try readPNG(dir + "/bar.png")
        let g = try #require(ax.geometry)
        let x = Int(try #require(g.x.pixel(0)))
        let top = try #require(g.y.pixel(5)), bottom = try #require(g.y.pixel(0))
        // Half the axis range: the bar top must sit half-way up the box.
        #expect(abs(top - Double(g.box.y0 + g.box.y1) / 2) < 0.5)
        for y in Int(top.rounded(.up))..<Int(bottom.rounded(.down)) { #expect(png.isRed(x, y), "row \(y)") }
        for y in (g.box.y0 + 1)..<Int(top.rounded(.down)) - 1 { #expect(!png.isRed(x, y), "row \(y) above the bar") }
        let redRows = (0..<png.height).filter { png.isRed(x, $0) }
        #expect(abs(Double(redRows.count) - (bottom - top)) <= 2)
    }

    @Test func thresholdOnLogAxisLandsOnTheRightRow() throws {
        let fig = Figure(width: 6, height: 4)
        let ax = fig.singleAxes()
        ax.bar([0, 1, 2], [1e-7, 1e-4, 1e-3], color: "gray")
        ax.setYScale(.log)
        ax.setYLim(1e-8, 1e-2)
        ax.axhline(1e-5, color: "red", lineStyle: .dashed, label: "Very small gradient")
        try fig.savefig(dir + "/threshold.png")
        let png = try readPNG(dir + "/threshold.png")
        let g = try #require(ax.geometry)
        // 1e-5 is the middle decade of 1e-8...1e-2 on a log axis, so it is half-way up the box.
        let expected = Double(g.box.y0 + g.box.y1) / 2
        var rows: [Int] = []
        for x in g.box.x0..<g.box.x1 { for y in g.box.y0..<g.box.y1 where png.isRed(x, y) { rows.append(y) } }
        #expect(!rows.isEmpty)
        let mean = Double(rows.reduce(0, +)) / Double(rows.count) + 0.5
        #expect(abs(mean - expected) < 1.5, "red line at \(mean), expected \(expected)")
        #expect(Set(rows).count <= 4)   // a thin line, not a smear
    }

    @Test func titleTextAppearsAboveTheAxes() throws {
        func darkPixelsAboveBox(title: String?) throws -> Int {
            let fig = Figure(width: 6, height: 4)
            let ax = fig.singleAxes()
            ax.plot([0, 1], [0, 1])
            if let title { ax.setTitle(title) }
            let path = dir + "/title-\(title != nil).png"
            try fig.savefig(path)
            let png = try readPNG(path)
            let box = try #require(ax.geometry).box
            let midX = (box.x0 + box.x1) / 2
            var count = 0
            for y in 0..<(box.y0 - 2) { for x in (midX - 80)..<(midX + 80) where png.isDark(x, y) { count += 1 } }
            return count
        }
        #expect(try darkPixelsAboveBox(title: "Training Loss") > 40)
        #expect(try darkPixelsAboveBox(title: nil) == 0)
    }

    @Test func unwritablePathThrowsAClearError() throws {
        let fig = Figure(width: 2, height: 2)
        fig.singleAxes().plot([0, 1], [1, 0])
        // A regular file cannot be a directory, so nothing can be written beneath it.
        let file = dir + "/not-a-directory"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let path = file + "/chart.png"
        do {
            try fig.savefig(path)
            Issue.record("savefig should have thrown for \(path)")
        } catch let error as ChartsError {
            #expect(error.description.contains(path))
            #expect(error.description.contains("choose"))
        }
        #expect(throws: ChartsError.self) { try fig.savefig(dir) }   // a directory, not a file
    }

    @Test func pngCarriesDpiAndTitle() throws {
        let fig = Figure(width: 4, height: 3, dpi: 150)
        fig.singleAxes().plot([0, 1], [1, 0])
        fig.suptitle("Gradient Flow Comparison")
        try fig.savefig(dir + "/meta.png")
        let png = try readPNG(dir + "/meta.png")
        #expect(png.width == 600 && png.height == 450)
        let phys = try #require(png.pixelsPerMeter)
        #expect(phys.unit == 1 && phys.x == 5906 && phys.y == 5906)   // 150 dpi = 5905.5 px/m
        #expect(png.text["Title"] == "Gradient Flow Comparison")
    }

    @Test func writingLeavesNoTemporaryFiles() throws {
        let fig = Figure(width: 2, height: 2)
        fig.singleAxes().plot([0, 1], [1, 0])
        let sub = dir + "/atomic/nested"
        try fig.savefig(sub + "/a.png")
        try fig.savefig(sub + "/a.png")   // overwrite in place
        #expect(try FileManager.default.contentsOfDirectory(atPath: sub) == ["a.png"])
    }

    @Test func labelsStayInsideTheCanvas() throws {
        let fig = Figure(width: 6, height: 4)
        let ax = fig.singleAxes()
        ax.plot([0, 1e6], [0, 123456.789])
        ax.setXLabel("Steps"); ax.setYLabel("A long y-axis label"); ax.setTitle("Title")
        try fig.savefig(dir + "/edges.png")
        let png = try readPNG(dir + "/edges.png")
        // Nothing but background on the outermost two pixels of the figure.
        for x in 0..<png.width { for y in [0, 1, png.height - 2, png.height - 1] { #expect(png.isWhite(x, y)) } }
        for y in 0..<png.height { for x in [0, 1, png.width - 2, png.width - 1] { #expect(png.isWhite(x, y)) } }
    }

    @Test func legendGoesWhereItHidesTheLeastData() throws {
        let fig = Figure(width: 6, height: 4)
        let ax = fig.singleAxes()
        ax.plot([0, 1, 2, 3], [0, 1, 2, 3], label: "rising")   // occupies lower left and upper right
        ax.legend()
        _ = fig.render()
        let g = try #require(ax.geometry)
        let legend = try #require(Legend(axes: ax, dpi: fig.dpi))
        let (samples, rects) = AxesRenderer(axes: ax, style: Style(dpi: fig.dpi), canvas: Canvas(width: 1, height: 1)).obstacles()
        #expect(legend.bestLocation(in: g.box, samples: samples, barRects: rects) == .upperLeft)
    }

    @Test func rendersA1400x500FigureQuickly() throws {
        let fig = Figure(width: 14, height: 5)
        let axes = fig.subplots(rows: 1, cols: 2)
        axes[0].plot((0..<100).map(Double.init), (0..<100).map { sin(Double($0) / 10) }, label: "sin", marker: .circle)
        axes[0].legend(); axes[0].grid(alpha: 0.3)
        axes[1].bar((0..<20).map(Double.init), (0..<20).map { pow(10, -Double($0) / 3) }, color: "coral")
        axes[1].setYScale(.log)
        fig.suptitle("Timing")
        let start = Date()
        try fig.savefig(dir + "/timing.png")
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 1.0, "took \(elapsed) s")
    }
}
