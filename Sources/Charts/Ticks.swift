import Foundation

/// Axis scale, as in `ax.set_yscale("log")`.
public enum Scale: Sendable { case linear, log }

/// A tick position with its label (empty for minor ticks).
struct Tick: Equatable {
    var value: Double
    var label: RichText
}

/// Where ticks go and what they say: matplotlib's MaxNLocator / LogLocator, simplified.
enum TickLocator {
    /// The mantissas allowed for the step between ticks ("nice" numbers).
    static let niceSteps: [Double] = [1, 2, 2.5, 5, 10]

    /// The smallest nice step that puts at most `maxTicks` ticks inside `lo...hi`.
    static func niceStep(lo: Double, hi: Double, maxTicks: Int) -> Double {
        let span = hi - lo
        guard span > 0, span.isFinite, maxTicks >= 2 else { return 1 }
        let raw = span / Double(maxTicks - 1)
        var magnitude = pow(10, (log10(raw)).rounded(.down) - 1)
        while true {
            for m in niceSteps {
                let step = m * magnitude
                if count(lo: lo, hi: hi, step: step) <= maxTicks { return step }
            }
            magnitude *= 10
        }
    }

    private static func count(lo: Double, hi: Double, step: Double) -> Int {
        let eps = step * 1e-9
        return Int(((hi + eps) / step).rounded(.down) - ((lo - eps) / step).rounded(.up)) + 1
    }

    /// Tick values at multiples of a nice step inside `lo...hi` (inclusive, with a tolerance so
    /// that an end exactly on a multiple is kept despite floating-point error).
    static func linearValues(lo: Double, hi: Double, maxTicks: Int) -> [Double] {
        guard hi > lo else { return [lo] }
        let step = niceStep(lo: lo, hi: hi, maxTicks: maxTicks)
        let eps = step * 1e-9
        let first = Int(((lo - eps) / step).rounded(.up)), last = Int(((hi + eps) / step).rounded(.down))
        guard first <= last else { return [] }
        // Multiply instead of accumulating so 0.1 steps do not drift; snap near-zero to zero.
        return (first...last).map { k in k == 0 ? 0 : Double(k) * step }
    }

    /// Major ticks with labels for a linear axis.
    static func linear(lo: Double, hi: Double, maxTicks: Int) -> [Tick] {
        let values = linearValues(lo: lo, hi: hi, maxTicks: maxTicks)
        let step = values.count > 1 ? values[1] - values[0] : niceStep(lo: lo, hi: hi, maxTicks: maxTicks)
        let labels = TickFormatter.linearLabels(values, step: step)
        return zip(values, labels).map { Tick(value: $0, label: $1) }
    }

    /// Major ticks at powers of ten (every `stride` decades when there are many) and, when
    /// decades are few enough to have room, unlabelled minor ticks at 2..9 x 10^k.
    static func log(lo: Double, hi: Double, maxTicks: Int) -> (major: [Tick], minor: [Double]) {
        guard lo > 0, hi > lo else { return ([], []) }
        let first = Int((log10(lo) - 1e-9).rounded(.up)), kHi = Int((log10(hi) + 1e-9).rounded(.down))
        if kHi - first + 1 < 2 {
            // Less than two decades marked: label nice linear values instead, as matplotlib
            // does with its minor-tick labels, so the axis never ends up unlabelled.
            return (linear(lo: lo, hi: hi, maxTicks: maxTicks).filter { $0.value > 0 }, [])
        }
        let decades = kHi - first + 1
        let stride = max(1, Int((Double(decades) / Double(max(maxTicks, 2))).rounded(.up)))
        let majors = Swift.stride(from: first, through: kHi, by: stride).map {
            Tick(value: pow(10, Double($0)), label: TickFormatter.powerOfTen($0))
        }
        var minors: [Double] = []
        if stride == 1 {
            for k in (first - 1)...kHi {
                for m in 2...9 {
                    let v = Double(m) * pow(10, Double(k))
                    if v >= lo * (1 - 1e-9), v <= hi * (1 + 1e-9) { minors.append(v) }
                }
            }
        }
        return (majors, minors)
    }

    /// How many ticks fit along an axis of `lengthPx` with labels of `fontPx` (matplotlib's
    /// "auto" nbins: x labels need about three font sizes each, y labels two), at most 10.
    static func maxTicks(lengthPx: Double, fontPx: Double, horizontal: Bool) -> Int {
        let perTick = fontPx * (horizontal ? 3 : 2)
        return min(max(Int(lengthPx / max(perTick, 1)), 2), 9) + 1
    }
}

/// Tick label text.
enum TickFormatter {
    static let minus = "\u{2212}"   // a real minus sign, as matplotlib uses, not a hyphen

    /// "10" with a raised exponent; 10^0 and 10^1 are written the same way for consistency.
    static func powerOfTen(_ k: Int) -> RichText {
        .power(base: "10", exponent: k < 0 ? minus + String(-k) : String(k))
    }

    /// Labels with just enough decimals to tell neighbouring ticks apart (0.5 step -> "0.5",
    /// 2.5 step -> "2.5", "5.0"), switching to m x 10^k for very large or very small values.
    static func linearLabels(_ values: [Double], step: Double) -> [RichText] {
        let maxAbs = values.map(abs).max() ?? 0
        if maxAbs >= 1e5 || (maxAbs > 0 && maxAbs < 1e-3) {
            let e = Int(log10(maxAbs).rounded(.down))
            let scaleFactor = pow(10, Double(e))
            let d = decimals(step / scaleFactor)
            return values.map { v in
                if v == 0 { return RichText("0") }
                let mantissa = format(v / scaleFactor, decimals: d)
                return .power(base: "10", exponent: e < 0 ? minus + String(-e) : String(e), prefix: mantissa + "\u{00D7}")
            }
        }
        let d = decimals(step)
        return values.map { RichText(format($0, decimals: d)) }
    }

    static func decimals(_ step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        let exponent = log10(step).rounded(.down)
        let mantissa = step / pow(10, exponent)
        let extra = abs(mantissa - 2.5) < 1e-6 ? 1 : 0
        return max(0, Int(-exponent) + extra)
    }

    static func format(_ v: Double, decimals: Int) -> String {
        var s = String(format: "%.\(decimals)f", v)
        if s.hasPrefix("-") {
            // "-0.0" after rounding is zero: drop the sign; otherwise use a true minus.
            s = Double(s) == 0 ? String(s.dropFirst()) : minus + s.dropFirst()
        }
        return s
    }
}
