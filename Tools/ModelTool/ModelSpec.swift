import Foundation
import Core

/// Which network to build, named on a command line: `vgg16`, `resnet18`, `plain18`, `plainnet`,
/// `deepresnet`, or `resnet:C1,C2,C3,C4:B1,B2,B3,B4` (the lesson's ResNet structure with those channels
/// and residual blocks per stage, 1 input channel, 10 classes).
///
///     let spec = try ModelSpec(parsing: "resnet:8,16,32,64:1,1,1,1")
///     let model = spec.makeModel()      // state_dict keys as the lesson's PyTorch classes name them
///
/// `resnet:64,128,256,512:2,2,2,2` builds the same network as `resnet18`.
public enum ModelSpec: Equatable, Sendable, CustomStringConvertible {
    /// The lesson's `VGG16_MNIST` (13 convolutions, a 4096-4096-10 classifier with Dropout).
    case vgg16
    /// The lesson's `ResNet18`: channels 64-128-256-512, [2, 2, 2, 2] residual blocks.
    case resnet18
    /// ResNet-18 with every shortcut removed (`Plain18()`).
    case plain18
    /// The lesson's `PlainNet` (one conv + BatchNorm + ReLU per "block", no shortcuts).
    case plainnet
    /// The mini-challenge's `DeepResNet`, [3, 4, 6, 3] blocks.
    case deepresnet
    /// The lesson's ResNet structure with custom widths and blocks per stage.
    case resnet(channels: [Int], blocks: [Int])

    /// The names accepted on a command line, for help texts.
    public static let usage = "vgg16, resnet18, plain18, plainnet, deepresnet, or resnet:C1,C2,C3,C4:B1,B2,B3,B4 "
        + "(e.g. resnet:8,16,32,64:1,1,1,1)"

    /// Parses a model name (case-insensitive, surrounding spaces ignored); throws one clear sentence
    /// naming what is accepted.
    public init(parsing text: String) throws {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch name {
        case "vgg16", "vgg": self = .vgg16
        case "resnet18": self = .resnet18
        case "plain18": self = .plain18
        case "plainnet": self = .plainnet
        case "deepresnet", "resnet34": self = .deepresnet
        default:
            guard name.hasPrefix("resnet:") else {
                throw CoreError("unknown model '\(text)'. Choose one of: \(ModelSpec.usage).")
            }
            let parts = name.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                throw CoreError("model '\(text)' must look like resnet:C1,C2,C3,C4:B1,B2,B3,B4 "
                                + "(channels, then residual blocks per stage), e.g. resnet:8,16,32,64:1,1,1,1.")
            }
            let channels = try ModelSpec.integers(parts[1], what: "channels", in: text)
            let blocks = try ModelSpec.integers(parts[2], what: "blocks", in: text)
            guard channels.count == blocks.count else {
                throw CoreError("model '\(text)': \(channels.count) channel widths but \(blocks.count) block counts; "
                                + "give one of each per stage.")
            }
            guard channels.count <= 8 else {
                throw CoreError("model '\(text)': at most 8 stages (each later stage halves the 32x32 input).")
            }
            self = .resnet(channels: channels, blocks: blocks)
        }
    }

    private static func integers(_ list: Substring, what: String, in text: String) throws -> [Int] {
        let items = list.split(separator: ",", omittingEmptySubsequences: false)
        var values: [Int] = []
        for item in items {
            guard let value = Int(item.trimmingCharacters(in: .whitespaces)), value >= 1 else {
                throw CoreError("model '\(text)': the \(what) must be positive integers separated by commas "
                                + "(got '\(list)').")
            }
            values.append(value)
        }
        guard !values.isEmpty else { throw CoreError("model '\(text)': no \(what) given.") }
        return values
    }

    /// Builds the network with fresh (PyTorch-default) initial weights from `Random.global`.
    public func makeModel() -> any Module {
        switch self {
        case .vgg16: return VGG16()
        case .resnet18: return ResNet18()
        case .plain18: return Plain18()
        case .plainnet: return PlainNet()
        case .deepresnet: return DeepResNet()
        case let .resnet(channels, blocks):
            return ResNet(channels: channels, blocks: blocks, name: "ResNet")
        }
    }

    /// The canonical command-line name (parsing it gives this spec back).
    public var name: String {
        switch self {
        case .vgg16: return "vgg16"
        case .resnet18: return "resnet18"
        case .plain18: return "plain18"
        case .plainnet: return "plainnet"
        case .deepresnet: return "deepresnet"
        case let .resnet(channels, blocks):
            return "resnet:" + channels.map(String.init).joined(separator: ",") + ":"
                + blocks.map(String.init).joined(separator: ",")
        }
    }

    /// A name for people: `ResNet-18`, `ResNet (channels 8-16-32-64, blocks 1-1-1-1)`.
    public var displayName: String {
        switch self {
        case .vgg16: return "VGG-16"
        case .resnet18: return "ResNet-18"
        case .plain18: return "Plain-18 (ResNet-18 without shortcuts)"
        case .plainnet: return "PlainNet"
        case .deepresnet: return "DeepResNet ([3, 4, 6, 3] blocks)"
        case let .resnet(channels, blocks):
            return "ResNet (channels \(channels.map(String.init).joined(separator: "-")), "
                + "blocks \(blocks.map(String.init).joined(separator: "-")))"
        }
    }

    public var description: String { name }
}
