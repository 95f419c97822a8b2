// libFuzzer target: the bytes of a safetensors file, as Safetensors.read parses them after
// reading the file. A CoreError is a correct answer; a crash, a hang or an allocation larger
// than the input justifies is a bug (a header claiming 10^12 elements must be refused).
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = count > 0 && start != nil ? Data(bytes: start!, count: count) : Data()
    do {
        let (dict, _) = try Safetensors.decode(data, file: "fuzz.safetensors")
        // Everything that came back must fit in the bytes that were given.
        var total = 0
        for entry in dict.entries { total += entry.tensor.count * (entry.dtype == .int64 ? 8 : 4) }
        precondition(total <= count, "decoded \(total) bytes of tensors from \(count) bytes of file")
        // Writing it back must work and read back the same.
        let again = try Safetensors.encode(dict, file: "fuzz")
        _ = try Safetensors.decode(again, file: "fuzz-again")
    } catch is CoreError {
        return 0
    } catch {
        fatalError("unexpected error type \(error)")
    }
    return 0
}
