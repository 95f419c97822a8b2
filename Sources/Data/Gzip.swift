import CZlib
import Foundation
import Autograd

/// Decompresses gzip (and zlib) data through the system zlib, as the MNIST files ship gzipped.
public enum Gzip {
    /// Outputs larger than this are refused: MNIST's largest file inflates to 47 MB, so anything
    /// near this bound is a damaged file or a decompression bomb.
    public static let maximumOutput = 1 << 31

    /// Whether `bytes` start with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: Data) -> Bool {
        bytes.count >= 2 && bytes[bytes.startIndex] == 0x1F && bytes[bytes.startIndex + 1] == 0x8B
    }

    /// Inflates a whole gzip or zlib stream (zlib detects which from the header).
    /// `file` names the source in error messages. Bytes after the end of the stream are ignored.
    public static func decompress(_ compressed: Data, file: String, maximumOutput: Int = Gzip.maximumOutput) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: accept both the gzip and the zlib header.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CoreError("cannot decompress \(file): zlib failed to start")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: initialCapacity(compressed, maximumOutput: maximumOutput))
        var produced = 0
        try compressed.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            var consumed = 0
            while true {
                if produced == output.count {
                    guard output.count < maximumOutput else {
                        throw CoreError("cannot decompress \(file): it inflates to more than \(maximumOutput) bytes; the file is damaged")
                    }
                    output += [UInt8](repeating: 0, count: min(output.count, maximumOutput - output.count))
                }
                let status = inflateStep(&stream, input: input, consumed: &consumed, output: &output, produced: &produced)
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where produced < output.count:
                    // No progress with room left to write: the input ran out before the stream ended.
                    throw CoreError("cannot decompress \(file): the compressed data ends early (after \(input.count) bytes); the file is truncated, copy or download it again")
                case Z_BUF_ERROR:
                    continue  // the output is full; it grows at the top of the loop
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw CoreError("cannot decompress \(file): the compressed data is damaged (\(reason))")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Runs `inflate` once over the next piece of input and free output space.
    private static func inflateStep(_ stream: inout z_stream, input: UnsafeRawBufferPointer, consumed: inout Int,
                                    output: inout [UInt8], produced: inout Int) -> Int32 {
        // zlib counts in UInt32, so feed at most 1 GiB at a time.
        let inputChunk = min(input.count - consumed, 1 << 30)
        let outputChunk = min(output.count - produced, 1 << 30)
        return output.withUnsafeMutableBytes { out -> Int32 in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map {
                $0.advanced(by: consumed).assumingMemoryBound(to: Bytef.self)
            })
            stream.avail_in = uInt(inputChunk)
            stream.next_out = out.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(outputChunk)
            let status = inflate(&stream, Z_NO_FLUSH)
            consumed += inputChunk - Int(stream.avail_in)
            produced += outputChunk - Int(stream.avail_out)
            return status
        }
    }

    /// A first output size: gzip's trailer records the size (mod 2^32), but it is only trusted
    /// within what deflate can produce (at most ~1032 times the input) and the output bound.
    private static func initialCapacity(_ compressed: Data, maximumOutput: Int) -> Int {
        var guess = compressed.count * 4
        if isGzip(compressed), compressed.count >= 18 {
            let end = compressed.endIndex
            let recorded = compressed[(end - 4)..<end].reversed().reduce(0) { $0 << 8 | Int($1) }
            guess = recorded + 1  // one spare byte so the end of the stream is seen without growing
        }
        let bound = min(compressed.count.multipliedReportingOverflow(by: 1032).partialValue, maximumOutput)
        return max(1024, min(guess, max(bound, 0)))
    }
}
