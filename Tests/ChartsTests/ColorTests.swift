@testable import Charts
import Foundation
import Testing

@Suite struct ColorTests {
    @Test func colorsParseLikeMatplotlib() {
        #expect(Color(named: "coral")?.description == "#ff7f50")
        #expect(Color(named: "tab:blue") == Color(hex: "#1f77b4"))
        #expect(Color(named: "C1") == Color(named: "tab:orange"))
        #expect(Color(named: "no-such-colour") == nil)
        #expect(Color(hex: "#ff000080")!.alpha > 0.49 && Color(hex: "#ff000080")!.alpha < 0.51)
    }

    /// matplotlib's CSS4_COLORS has 148 names; each must be a constant and a known name.
    @Test func everyCSS4NameIsKnown() {
        #expect(Color.css4.count == 148)
        #expect(Set(Color.css4.map(\.name)).count == 148)
        for (name, color) in Color.css4 {
            #expect(Color(named: name) == color, "\(name)")
            #expect(Color(named: name.uppercased()) == color, "\(name) in capitals")
        }
        // Spot checks against matplotlib's table, including the ones the lessons use.
        #expect(Color.mediumseagreen.description == "#3cb371")
        #expect(Color(named: "mediumseagreen")?.description == "#3cb371")
        #expect(Color.goldenrod.description == "#daa520")
        #expect(Color.rebeccapurple.description == "#663399")
        #expect(Color.lightgoldenrodyellow.description == "#fafad2")
        #expect(Color(named: "aqua") == Color(named: "cyan"))
    }

    @Test func tableauSingleLetterCycleAndGreyNames() {
        #expect(Color.tableau.count == 10)
        #expect(Color.cycle == Color.tableau.map(\.color))
        for (i, (name, color)) in Color.tableau.enumerated() {
            #expect(Color(named: name) == color)
            #expect(Color(named: "C\(i)") == color)
        }
        #expect(Color(named: "tab:grey") == .tabGray)
        #expect(Color(named: "g")?.description == "#008000")
        #expect(Color(named: "c")?.description == "#00bfbf")   // 0.75, not 1
        #expect(Color(named: "k") == .black && Color(named: "w") == .white)
        #expect(Color(named: "K") == nil)                       // single letters are case-sensitive, as in matplotlib
        #expect(Color(named: "0.5")?.description == "#808080") // a grey level
        #expect(Color(named: "1.5") == nil)
        #expect(Color(named: "#12345g") == nil)
        #expect(Color(named: "C10") == nil)
    }

    /// A colour written as a string literal is only parsed when the program runs, so this test
    /// parses every one in the project's sources: an unknown name fails here, not in a lesson.
    @Test func everyColourLiteralInTheSourcesIsAKnownName() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var checked = 0
        for folder in ["Lessons", "Tools", "Sources"] {
            for file in try swiftFiles(under: root.appendingPathComponent(folder)) {
                let text = try String(contentsOf: file, encoding: .utf8)
                for literal in Self.colourLiterals(in: text) {
                    checked += 1
                    #expect(Color(named: literal) != nil,
                            "\(file.path.dropFirst(root.path.count + 1)): \"\(literal)\" is not a matplotlib colour")
                }
            }
        }
        #expect(checked > 10)   // the scan found the lessons' colours at all
    }

    @Test func literalScannerFindsColoursInEveryForm() {
        let code = """
        ax.bar(x, h, color: "coral", edgeColor: "navy", alpha: 0.7)
        let palette: [Color] = ["tab:blue", "mediumseagren"]
        let c: Color = "#1f77b4"
        ax.plot(x, y, label: "not a colour")
        """
        #expect(Self.colourLiterals(in: code) == ["coral", "navy", "tab:blue", "mediumseagren", "#1f77b4"])
    }

    /// String literals where a `Color` is expected: `color: "…"`, `edgeColor: "…"`,
    /// `[Color] = ["…", …]` and `: Color = "…"`, in order of appearance.
    static func colourLiterals(in text: String) -> [String] {
        let patterns = [#"\b(?:color|edgeColor)\s*:\s*"([^"\\]*)""#,
                        #":\s*\[Color\]\s*=\s*\[([^\]]*)\]"#,
                        #":\s*Color\??\s*=\s*"([^"\\]*)""#]
        var found: [(Int, String)] = []
        for (index, pattern) in patterns.enumerated() {
            let regex = try! NSRegularExpression(pattern: pattern)
            let ns = text as NSString
            for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let group = ns.substring(with: match.range(at: 1))
                if index == 1 {   // an array literal: every string in it
                    let inner = try! NSRegularExpression(pattern: #""([^"\\]*)""#)
                    let g = group as NSString
                    for (k, m) in inner.matches(in: group, range: NSRange(location: 0, length: g.length)).enumerated() {
                        found.append((match.range.location + k, g.substring(with: m.range(at: 1))))
                    }
                } else {
                    found.append((match.range.location, group))
                }
            }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private func swiftFiles(under folder: URL) throws -> [URL] {
        guard let e = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    }
}
