import Foundation
import Autograd

/// An array read from an IDX file: its dimensions and its elements (unsigned bytes), row-major.
public struct IDXArray: Sendable {
    public let dims: [Int]
    public let values: [UInt8]
}

/// Reads IDX files, the format Yann LeCun's MNIST files (and Fashion-MNIST's) are distributed in.
///
/// Layout: a 4-byte magic number `00 00 <type> <rank>` (type 0x08 = unsigned byte), `rank`
/// big-endian UInt32 dimensions, then the elements. Images are rank 3 (`0x00000803`: count,
/// rows, columns), labels rank 1 (`0x00000801`). The file may be gzipped (as distributed) or not.
public enum IDX {
    /// Reads `path`, gunzipping it when it starts with the gzip magic number, and checks that it
    /// holds unsigned bytes in `rank` dimensions.
    public static func read(_ path: String, rank: Int) throws -> IDXArray {
        let contents: Data
        do {
            contents = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CoreError("cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file")")
        }
        let bytes = Gzip.isGzip(contents) ? try Gzip.decompress(contents, file: path) : [UInt8](contents)
        return try decode(bytes, rank: rank, file: path)
    }

    /// Parses the (already decompressed) bytes of an IDX file; `file` names it in error messages.
    public static func decode(_ bytes: [UInt8], rank: Int, file: String) throws -> IDXArray {
        let expectedMagic = hex([0, 0, 0x08, UInt8(truncatingIfNeeded: rank)])
        guard bytes.count >= 4 else {
            throw CoreError("\(file) is not an IDX file: it is only \(bytes.count) bytes long (expected magic number \(expectedMagic))")
        }
        let magic = hex(Array(bytes[0..<4]))
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw CoreError("\(file) is not an IDX file: its magic number is \(magic), expected \(expectedMagic)")
        }
        guard bytes[2] == 0x08 else {
            throw CoreError("\(file): magic number \(magic) says the elements are of type 0x\(String(bytes[2], radix: 16)), expected 0x08 (unsigned bytes, as in MNIST)")
        }
        guard Int(bytes[3]) == rank else {
            throw CoreError("\(file): magic number \(magic) says \(bytes[3]) dimensions, expected \(rank) (\(expectedMagic)); is it the \(rank == 3 ? "labels" : "images") file instead?")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw CoreError("\(file): the file ends inside its header (\(bytes.count) bytes, the header needs \(headerSize))")
        }
        let dims = (0..<rank).map { axis in
            bytes[(4 + 4 * axis)..<(8 + 4 * axis)].reduce(0) { $0 << 8 | Int($1) }
        }
        let description = dims.map(String.init).joined(separator: " x ")
        var expected = 1
        for dim in dims {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw CoreError("\(file): its dimensions \(description) are absurd; the file is damaged") }
            expected = product
        }
        let found = bytes.count - headerSize
        guard found == expected else {
            throw CoreError("\(file): its header announces \(description) = \(expected) bytes of data, but the file holds \(found); the file is truncated or damaged")
        }
        return IDXArray(dims: dims, values: Array(bytes[headerSize...]))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
