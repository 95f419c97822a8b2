import Foundation
import Testing
@testable import Core

/// The memory a training step needs, estimated before it runs (`MemoryPlan`): close to what a step
/// really takes, and an over-large batch refused with a message that says what fits.
@Suite(.ownGenerator) struct MemoryPlanTests {
    private static let benchmark = builtLesson("Benchmark")

    /// One real training step (the Benchmark executable, its own process) against the estimate it
    /// printed before the step: within 25% of the measured peak.
    @Test(.enabled(if: benchmark != nil, "run `swift build --product Benchmark` first"),
          arguments: ["plainnet", "resnet18"])
    func estimateIsWithinAQuarterOfTheMeasuredPeak(model: String) throws {
        let run = try runLesson(Self.benchmark!, ["--model", model, "--mode", "train", "--steps", "1", "--warmup", "0",
                                                  "--threads", "2", "--batch-size", "64", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").last)
        let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let measured = try #require(row["peak_rss_mb"] as? Double), estimate = try #require(row["training_estimate_mb"] as? Double)
        #expect(abs(estimate - measured) <= 0.25 * measured, "\(model): estimated \(estimate) MB, measured \(measured) MB")
    }

    @Test func anOverLargeBatchIsRefusedWithWhatFits() throws {
        let plan = MemoryPlan(model: PlainNet(), batchSize: 100_000, imageShape: [1, 32, 32], baselineBytes: 200_000_000)
        let available = 2_000_000_000
        let fits = plan.largestBatch(fitting: available)
        #expect(fits > 0 && fits < 100_000)
        // The largest batch that fits does fit, one more image does not.
        let fitting = MemoryPlan(model: PlainNet(), batchSize: fits, imageShape: [1, 32, 32], baselineBytes: 200_000_000)
        let over = MemoryPlan(model: PlainNet(), batchSize: fits + 1, imageShape: [1, 32, 32], baselineBytes: 200_000_000)
        #expect(fitting.stepBytes <= available && over.stepBytes > available)
        do {
            try plan.check(network: "PlainNet", available: available)
            Issue.record("a step of 100,000 images was not refused")
        } catch let error as CoreError {
            #expect(error.message.contains("batches of 100000 images needs about"), "\(error.message)")
            #expect(error.message.contains("2.0 GB available"), "\(error.message)")
            #expect(error.message.contains("--batch-size \(fits) or smaller"), "\(error.message)")
        }
        try fitting.check(network: "PlainNet", available: available)   // no error
    }

    @Test func aBatchThatFitsNothingSaysSo() {
        let plan = MemoryPlan(model: PlainNet(), batchSize: 64, imageShape: [1, 32, 32], baselineBytes: 500_000_000)
        #expect(throws: CoreError.self) { try plan.check(network: "PlainNet", available: 400_000_000) }
        #expect(plan.largestBatch(fitting: 400_000_000) == 0)
    }
}

/// A lesson asked for a batch the machine cannot hold stops before training, with one message.
@Suite struct OverLargeBatchProcessTests {
    private static let lesson = builtLesson("Exercise3_ResNet18")

    @Test(.enabled(if: lesson != nil, "run `swift build --product Exercise3_ResNet18` first"))
    func aLessonRefusesABatchThatCannotFit() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("memory-\(UUID().uuidString)")
        let run = try runLesson(Self.lesson!, ["--batch-size", "60000", "--epochs", "1", "--output", output.path])
        #expect(run.status == 1, "stdout: \(run.stdout.suffix(300)) stderr: \(run.stderr)")
        #expect(run.stderr.contains("error: a training step of ResNet18 with batches of 60000 images needs about"),
                "stderr: \(run.stderr)")
        #expect(run.stderr.contains("--batch-size"), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }
}
