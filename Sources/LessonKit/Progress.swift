import Foundation
import Training

/// Shows training progress. On a terminal: a live bar redrawn in place (batch, loss, accuracy,
/// images/s, time left). Elsewhere (CI, a pipe): a plain status line every `statusEvery`
/// batches. In both, the original lesson's own line every 200 batches.
public final class ProgressReporter: TrainingProgress {
    public let isTerminal: Bool
    public var statusEvery = 50
    public var lessonLineEvery = 200
    /// Prints nothing at all when false (tests, inner loops).
    public var enabled = true
    private var lastDraw = Date.distantPast
    private var barVisible = false

    public init(isTerminal: Bool = isatty(STDOUT_FILENO) == 1) {
        self.isTerminal = isTerminal
    }

    /// Called after every batch.
    public func batchDone(_ state: BatchState) {
        guard enabled else { return }
        if state.batch % lessonLineEvery == 0 {
            line("  Batch \(state.batch)/\(state.totalBatches): Loss = \(String(format: "%.4f", state.meanLoss))")
        }
        if isTerminal {
            let now = Date()
            if now.timeIntervalSince(lastDraw) >= 0.1 || state.batch == state.totalBatches {
                lastDraw = now
                drawBar(state)
            }
        } else if state.batch % statusEvery == 0 && state.batch % lessonLineEvery != 0 {
            line("    [\(state.batch)/\(state.totalBatches)] loss \(String(format: "%.4f", state.meanLoss))  "
                 + "acc \(String(format: "%.4f", state.accuracy))  \(Int(state.imagesPerSecond)) img/s  "
                 + "ETA \(formatClock(state.secondsLeft))")
        }
    }

    /// The original lesson's line at the end of each epoch.
    public func epochEnded(_ record: EpochRecord, epochs: Int) {
        line("Epoch \(record.epoch)/\(epochs): Loss = \(String(format: "%.4f", record.loss)), "
             + "Accuracy = \(String(format: "%.4f", record.accuracy))  "
             + "(\(String(format: "%.1f", record.seconds)) s, \(Int(record.imagesPerSecond)) img/s)")
    }

    /// Prints a line, clearing the live bar first so the two never mix.
    public func line(_ text: String) {
        guard enabled else { return }
        if barVisible { print("\r\u{1B}[2K", terminator: "") ; barVisible = false }
        print(text)
        fflush(nil)
    }

    /// Removes the bar at the end of an epoch.
    public func finish() {
        if barVisible { print("\r\u{1B}[2K", terminator: ""); barVisible = false; fflush(nil) }
    }

    private func drawBar(_ s: BatchState) {
        let width = 24
        let filled = s.totalBatches == 0 ? 0 : width * s.batch / s.totalBatches
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = "  epoch \(s.epoch)/\(s.epochs) \(bar) \(s.batch)/\(s.totalBatches)  loss \(String(format: "%.4f", s.meanLoss))"
            + "  acc \(String(format: "%.4f", s.accuracy))  \(Int(s.imagesPerSecond)) img/s  ETA \(formatClock(s.secondsLeft))"
        print("\r\u{1B}[2K" + text, terminator: "")
        fflush(nil)
        barVisible = true
    }

    private func formatClock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
