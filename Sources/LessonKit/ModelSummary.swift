import Foundation
import Core

/// The torchinfo-style table of a network: one row per layer with its output shape, parameter
/// count and multiply-adds, then the totals and the memory a forward/backward pass needs.
///
///     print(try printSummary(model: ResNet18(), input: [1, 1, 32, 32]))
///     lesson.output(printSummary(model: model))            // in a lesson, where the original prints the model
///
/// The counting (and its tests) lives in Core's `ModelSummary`; this file only lays it out.
/// Mult-adds count convolution and linear weights only (torchinfo also adds BatchNorm and biases,
/// e.g. 554.25 M for ResNet-18 where this prints 554.24 M); the footer says so.
///
/// - Parameters:
///   - model: any network; every module its forward calls is a row (read through the forward
///     hooks, `ForwardTrace`), so a lesson's own models are expanded as the engine's are.
///   - input: the input shape including the batch, `[1, 1, 32, 32]` by default (one MNIST image
///     padded to 32x32). Use `parseInputShape("1,1,32,32")` for a command-line value.
///   - depth: the deepest level of modules shown, 3 by default as torchinfo's `depth=3`; a container
///     at the last level shown carries the totals of everything inside it.
/// - Returns: the table as text (no trailing newline).
public func printSummary(model: any Module, input: [Int] = [1, 1, 32, 32], depth: Int = 3) -> String {
    ModelSummary(model: model, input: input).table(depth: depth)
}

/// Parses an input shape given on a command line, `1,1,32,32` or `[1, 1, 32, 32]`, and checks it
/// suits the lessons' networks (4 positive sizes: batch, channels, height, width). Throws one clear
/// sentence otherwise.
public func parseInputShape(_ text: String) throws -> [Int] {
    let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " []()"))
    let parts = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else {
        throw CoreError("input shape '\(text)' must be positive integers separated by commas, e.g. 1,1,32,32 "
                        + "(batch, channels, height, width)")
    }
    guard values.count == 4 else {
        throw CoreError("input shape '\(text)' has \(values.count) sizes; the lessons' networks take 4: "
                        + "batch, channels, height, width (e.g. 1,1,32,32)")
    }
    guard values[2] >= 32, values[3] >= 32 else {
        throw CoreError("input shape '\(text)': the lessons' networks need images of at least 32x32 "
                        + "(VGG-16 halves the size five times)")
    }
    return values
}

extension ModelSummary {
    /// Column widths as torchinfo prints them.
    static let nameWidth = 40, columnWidth = 25

    /// The rows shown at this depth, with containers at the last level carrying their totals.
    func visibleRows(depth: Int) -> [Row] {
        rows.filter { $0.depth <= depth }
    }

    /// The whole table, torchinfo's layout.
    public func table(depth: Int = 3) -> String {
        let width = ModelSummary.nameWidth + 3 * ModelSummary.columnWidth
        let rule = String(repeating: "=", count: width)
        func pad(_ text: String, _ n: Int) -> String {
            text.count >= n ? text + " " : text + String(repeating: " ", count: n - text.count)
        }
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

        var lines = [rule,
                     pad("Layer (type:depth-idx)", ModelSummary.nameWidth) + pad("Output Shape", ModelSummary.columnWidth)
                        + pad("Param #", ModelSummary.columnWidth) + "Mult-Adds",
                     rule]
        for row in visibleRows(depth: depth) {
            let label: String
            switch row.depth {
            case 0: label = row.typeName
            case 1: label = "├─\(row.typeName): 1-\(row.index)"
            default: label = String(repeating: "│    ", count: row.depth - 1) + "└─\(row.typeName): \(row.depth)-\(row.index)"
            }
            // A leaf shows what it holds itself; a container cut off by `depth` shows its totals;
            // any other container shows "--", its children carry the numbers.
            let collapsed = !row.isLeaf && row.depth == depth
            let params = row.isLeaf ? row.ownParameters : (collapsed ? row.parameters : 0)
            let macs = row.isLeaf || collapsed ? row.multAdds : 0
            lines.append(pad(label, ModelSummary.nameWidth) + pad(shape(row.outputShape), ModelSummary.columnWidth)
                         + pad(params > 0 ? Format.thousands(params) : "--", ModelSummary.columnWidth)
                         + (macs > 0 ? Format.thousands(macs) : "--"))
        }
        func megabytes(_ bytes: Int) -> String { Format.fixed(Double(bytes) / 1e6, 2) }
        lines += [rule,
                  "Total params: \(Format.thousands(totalParameters))",
                  "Trainable params: \(Format.thousands(trainableParameters))",
                  "Non-trainable params: \(Format.thousands(nonTrainableParameters))",
                  "Total mult-adds (M): \(Format.fixed(Double(totalMultAdds) / 1e6, 2))",
                  "  (convolution and linear weights only; torchinfo also counts biases and BatchNorm)",
                  rule,
                  "Input size (MB): \(megabytes(inputBytes))",
                  "Forward/backward pass size (MB): \(megabytes(forwardBackwardBytes))",
                  "Params size (MB): \(megabytes(parameterBytes))",
                  "Estimated Total Size (MB): \(megabytes(estimatedTotalBytes))",
                  rule]
        if !unexpandedModules.isEmpty {
            lines.append("Shown as one row each (no layer-by-layer walk for their type): "
                         + unexpandedModules.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
