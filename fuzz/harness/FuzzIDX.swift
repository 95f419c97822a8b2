// libFuzzer target: the bytes of a data file as a lesson reads it: gunzipped when they start
// with the gzip magic number (the path IDX.read takes), then parsed as an IDX file of rank 3
// (images) and of rank 1 (labels), then checked and transformed as MNISTDataset does.
// Any CoreError is a correct answer; a crash, a hang or a huge allocation is a bug.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    let bytes: [UInt8]
    do {
        // A smaller output bound than a lesson's, so that libFuzzer's malloc limit catches any
        // allocation that ignores the bound, rather than the bound itself.
        bytes = Gzip.isGzip(data) ? try Gzip.decompress(data, file: "fuzz.gz", maximumOutput: 1 << 24) : [UInt8](data)
    } catch is CoreError {
        return 0
    } catch {
        fatalError("unexpected error type \(error)")
    }
    for rank in [1, 3] {
        if let array = try? IDX.decode(bytes, rank: rank, file: "fuzz") {
            precondition(array.dims.count == rank)
            precondition(array.values.count == array.dims.reduce(1, *))
            if rank == 3 {
                // The checks and transform MNISTDataset applies to an images file.
                if (try? MNISTDataset.checkImages(array, file: "fuzz")) != nil {
                    _ = PadNormalize(for: .mnist).apply(array.values, count: array.dims[0],
                                                        rows: array.dims[1], columns: array.dims[2])
                }
            } else {
                _ = try? MNISTDataset.checkLabels(array, file: "fuzz", kind: .mnist)
            }
        }
    }
    return 0
}
