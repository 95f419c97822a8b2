import Foundation
import Autograd
import Layers

/// Reads and writes the safetensors format, the checkpoint format PyTorch users share models in
/// (`safetensors.torch.save_file` / `load_file`).
///
/// A file is: an 8-byte little-endian header length `n`; `n` bytes of JSON mapping each tensor
/// name to `{"dtype", "shape", "data_offsets": [begin, end]}`, plus an optional `__metadata__`
/// map of strings; then the raw little-endian tensor bytes, offsets counted from the end of the
/// header. This engine reads and writes `F32` and `I64` (`num_batches_tracked`); other dtypes are
/// refused with a clear error.
///
/// Order: when writing, tensors are laid out as the reference implementation does, by dtype
/// alignment (I64 before F32) then by name, contiguously, with `__metadata__` first in the
/// header and the header padded with spaces to a multiple of 8 bytes. When reading, any order
/// (even overlapping ranges) is accepted and the entries come back in data-offset order, then
/// by name; so a file written here reads back in the order it was written.
public enum Safetensors {
    /// Headers longer than this are refused as damaged (real ones are a few kilobytes).
    public static let maximumHeaderLength = 100_000_000

    /// Reads a safetensors file into a `StateDict` (entries in file order) and its metadata.
    public static func read(_ path: String) throws -> (StateDict, metadata: [String: String]) {
        try decode(try readFile(path), file: path)
    }

    /// Parses the bytes of a safetensors file; `file` names it in error messages.
    public static func decode(_ bytes: Data, file: String) throws -> (StateDict, metadata: [String: String]) {
        try bytes.withUnsafeBytes { raw in
            let header = try parseHeader(raw, file: file)
            var dict = StateDict()
            let data = UnsafeRawBufferPointer(rebasing: raw[(8 + header.length)...])
            for entry in header.parsed.entries {
                dict.set(entry.name, tensor(entry, data: data), dtype: entry.dtype)
            }
            return (dict, metadata: header.parsed.metadata)
        }
    }

    /// Writes `dict` to `path` atomically (a crash never leaves half a file).
    public static func write(_ dict: StateDict, metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(try encode(dict, metadata: metadata, file: path), to: path)
    }

    /// The bytes of a safetensors file holding `dict`; `file` names it in error messages.
    public static func encode(_ dict: StateDict, metadata: [String: String] = [:], file: String = "safetensors") throws -> Data {
        let entries = dict.entries.sorted { a, b in
            a.dtype.byteSize != b.dtype.byteSize ? a.dtype.byteSize > b.dtype.byteSize : a.key < b.key
        }
        let quote = jsonQuoter()
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = try metadata.sorted { $0.key < $1.key }.map { try quote($0.key) + ":" + quote($0.value) }
            members.append(#""__metadata__":{"# + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for entry in entries {
            if entry.key == "__metadata__" { throw CoreError("\(file): a tensor cannot be named __metadata__") }
            let size = entry.tensor.count * entry.dtype.byteSize
            let shape = entry.tensor.shape.map(String.init).joined(separator: ",")
            members.append(try quote(entry.key)
                + #":{"dtype":"\#(entry.dtype.rawValue)","shape":[\#(shape)],"data_offsets":[\#(offset),\#(offset + size)]}"#)
            offset += size
        }
        var json = Array(("{" + members.joined(separator: ",") + "}").utf8)
        json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)

        var out = Data(capacity: 8 + json.count + offset)
        appendLittleEndian(UInt64(json.count), to: &out)
        out.append(contentsOf: json)
        for entry in entries {
            try appendValues(entry.tensor, as: entry.dtype, key: entry.key, file: file, to: &out)
        }
        return out
    }

    // MARK: - Reading

    private static func readFile(_ path: String) throws -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CoreError("cannot read \(path): no such file")
        }
        if isFolder.boolValue { throw CoreError("cannot read \(path): it is a folder, not a safetensors file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CoreError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Checks the length prefix, then parses the header that follows it.
    private static func parseHeader(_ raw: UnsafeRawBufferPointer, file: String)
        throws -> (length: Int, parsed: SafetensorsHeader) {
        guard raw.count >= 8 else {
            throw CoreError("\(file) is not a valid safetensors file: it is \(raw.count) bytes long, too short to hold the 8-byte header length")
        }
        let declared = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maximumHeaderLength) else {
            throw CoreError("\(file) is not a valid safetensors file: its header length \(declared) is absurd (more than \(maximumHeaderLength) bytes)")
        }
        let length = Int(declared)
        guard length <= raw.count - 8 else {
            throw CoreError("\(file) is not a valid safetensors file: its header length \(length) is larger than the rest of the file (\(raw.count - 8) bytes); the file is truncated or damaged")
        }
        let json = Array(raw[8..<(8 + length)])
        let parsed = try SafetensorsHeader(json: json, dataSize: raw.count - 8 - length, file: file)
        return (length, parsed)
    }

    /// Converts one entry's bytes (already checked to lie inside `data`) to a float32 tensor.
    private static func tensor(_ entry: SafetensorsHeader.Entry, data: UnsafeRawBufferPointer) -> Tensor {
        let tensor = Tensor(uninitialized: entry.shape)
        let out = tensor.data
        switch entry.dtype {
        case .float32:
            for i in 0..<tensor.count {
                let bits = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: entry.begin + 4 * i, as: UInt32.self))
                out[i] = Float(bitPattern: bits)
            }
        case .int64:
            for i in 0..<tensor.count {
                let bits = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: entry.begin + 8 * i, as: UInt64.self))
                out[i] = Float(Int64(bitPattern: bits))
            }
        }
        return tensor
    }

    // MARK: - Writing

    /// Quotes a string as JSON. The header itself is assembled by hand because the reference
    /// layout fixes the key order (`__metadata__`, then tensors in data order, each with dtype,
    /// shape, data_offsets), which `JSONEncoder` does not keep.
    private static func jsonQuoter() -> (String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return { String(decoding: try encoder.encode($0), as: UTF8.self) }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Appends a tensor's values; int64 entries must hold whole numbers.
    private static func appendValues(_ tensor: Tensor, as dtype: DType, key: String, file: String,
                                     to out: inout Data) throws {
        let values = tensor.buffer
        switch dtype {
        case .float32:
            var bytes = [UInt32](repeating: 0, count: values.count)
            for i in 0..<values.count { bytes[i] = values[i].bitPattern.littleEndian }
            bytes.withUnsafeBytes { out.append(contentsOf: $0) }
        case .int64:
            var bytes = [Int64](repeating: 0, count: values.count)
            for i in 0..<values.count {
                let value = values[i]
                guard value.isFinite, value == value.rounded(), let whole = Int64(exactly: value) else {
                    throw CoreError("\(file): \(key) is saved as I64 but holds \(value), which is not a whole number")
                }
                bytes[i] = whole.littleEndian
            }
            bytes.withUnsafeBytes { out.append(contentsOf: $0) }
        }
    }
}
