import Foundation
import Testing

// End to end: the built Exercise 2 runs (--seeds 2) into a scratch --output, and the numbers its
// report.md quotes must be the ones its results.json records, formatted as the narration formats
// them, and the other way round for the depth sweep's table. Build the lesson first
// (`swift build --product Exercise2_Residual`); the test is skipped when it is not there.

private let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let lesson = packageRoot.appendingPathComponent(".build/debug/Exercise2_Residual").path
private let isBuilt = FileManager.default.isExecutableFile(atPath: lesson)

@Suite struct Exercise2ReportTests {
    /// Runs the lesson into a fresh folder; returns report.md and the parsed results.json.
    func run() throws -> (report: String, results: [String: Any]) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ex2-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lesson)
        process.arguments = ["--seeds", "2", "--output", output.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let folder = output.appendingPathComponent("Exercise2_Residual")
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json")))
        return (report, json as? [String: Any] ?? [:])
    }

    @Test(.enabled(if: isBuilt, "build Exercise2_Residual first: swift build --product Exercise2_Residual"))
    func reportQuotesTheRecordedNumbers() throws {
        let (report, results) = try run()
        let numbers = try #require(results["numbers"] as? [String: Any])
        let verdicts = try #require(results["verdicts"] as? [String: Bool])
        func number(_ key: String) -> Double { (numbers[key] as? NSNumber)?.doubleValue ?? .nan }
        func fixed(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
        func sci(_ value: Double) -> String { String(format: "%.2e", value) }

        // Each recorded number, as the narration prints it.
        let quoted: [(String, String)] = [
            ("plain_block_mean_abs_grad", "Plain block: \(fixed(number("plain_block_mean_abs_grad"), 6))"),
            ("residual_block_mean_abs_grad", "Residual block: \(fixed(number("residual_block_mean_abs_grad"), 6))"),
            ("residual_to_plain_ratio", "Ratio: \(fixed(number("residual_to_plain_ratio"), 2))x"),
            ("channels_residual_ahead", "In \(Int(number("channels_residual_ahead"))) of the 64 channels"),
            ("channel_ratio_min", "from \(fixed(number("channel_ratio_min"), 2))x"),
            ("channel_ratio_max", "to \(fixed(number("channel_ratio_max"), 2))x"),
            ("shortcut_mean_abs_grad", "through the shortcut alone: mean |grad| = \(fixed(number("shortcut_mean_abs_grad"), 6))"),
            ("active_output_fraction", "(\(fixed(100 * number("active_output_fraction"), 1))% of outputs active)"),
            ("main_path_mean_abs_grad", "through F(x):               mean |grad| = \(fixed(number("main_path_mean_abs_grad"), 6))"),
            ("train_mode_ratio_mean", "passes \(fixed(number("train_mode_ratio_mean"), 2))x as much gradient in training mode"),
            ("train_mode_ratio_std", "standard deviation \(fixed(number("train_mode_ratio_std"), 2))"),
            ("eval_mode_ratio_mean", "and \(fixed(number("eval_mode_ratio_mean"), 2))x in evaluation mode"),
            ("seeds", "Over \(Int(number("seeds"))) seeds"),
        ]
        for (key, text) in quoted { #expect(report.contains(text), "\(key): \(text)") }
        for key in ["train_mode_ratios", "eval_mode_ratios"] {
            for value in try #require(numbers[key] as? [NSNumber]) { #expect(report.contains("\(fixed(value.doubleValue, 2))x"), "\(key)") }
        }

        // The depth sweep: results.json -> report, row by row, and every cell of the report's table -> results.json.
        let sweep = try #require(numbers["depth_sweep"] as? [String: Any])
        #expect((sweep["depths"] as? [Int]) == [1, 2, 4, 8, 16, 32])
        let ratios = try #require(sweep["ratios"] as? [String: [NSNumber]])
        #expect(Set(ratios.keys) == ["plain_bn", "plain_no_bn", "residual_bn", "residual_no_bn"])
        let names = ["plain_bn": "plain with BN", "residual_bn": "residual with BN", "plain_no_bn": "plain without BN", "residual_no_bn": "residual without BN"]
        let lines = report.split(separator: "\n").map(String.init)
        for (key, values) in ratios {
            let row = try #require(lines.first { $0.hasPrefix(names[key]! + " ") && $0.contains("|") }, "no table row for \(key)")
            let cells = row.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells == values.map { sci($0.doubleValue) }, "\(key): \(row)")
            // The verdict and the sentence about the deepest stack agree.
            let vanishes = try #require(verdicts["vanishes_at_32_\(key)"] as Bool?)
            let sentence = try #require(lines.first { $0.hasPrefix("- \(names[key]!): after 32 blocks") })
            #expect(sentence.contains(sci(values.last!.doubleValue)))
            #expect(sentence.hasSuffix("the gradient vanishes.") == vanishes, "\(sentence)")
        }

        // The deepest stacks over both seeds: their range as the narration quotes it.
        let perSeed = try #require(numbers["depth_sweep_deepest_per_seed"] as? [String: [NSNumber]])
        for (key, values) in perSeed {
            let doubles = values.map(\.doubleValue)
            #expect(doubles.count == 2 && doubles[0] == ratios[key]!.last!.doubleValue)
            #expect(report.contains("\(names[key]!) from \(sci(doubles.min()!)) to \(sci(doubles.max()!))"), "\(key)")
        }
        #expect(verdicts["depth_sweep_verdicts_agree_across_seeds"] == report.contains("Every one of the 2 seeds gives each variant the same verdict"))

        // The takeaway recorded is the one the report says.
        let takeaway = try #require(results["takeaway"] as? String)
        #expect(report.contains(takeaway))
        #expect(takeaway.contains("\(fixed(number("residual_to_plain_ratio"), 2))x"))
    }
}
