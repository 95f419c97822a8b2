import Foundation
import Testing
@testable import Core

/// The PyTorch reference files, found next to this source file so the tests run on any clone.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The bytes of a safetensors file with this header text and data; `length` overrides the
/// declared header length.
private func safetensorsBytes(header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
    var out = Data()
    withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: data)
    return out
}

private func decode(_ header: String, data: [UInt8] = [], length: UInt64? = nil) throws {
    _ = try Safetensors.decode(safetensorsBytes(header: header, data: data, length: length), file: "crafted.safetensors")
}

@Suite(.ownGenerator) struct SafetensorsTests {
    @Test func roundTripKeepsValuesShapesDtypesAndMetadata() throws {
        var dict = StateDict()
        dict.set("layer.weight", Tensor([1.5, -2, 3.25, .pi, -0.0, 1e-30], shape: [2, 3]))
        dict.set("scale", Tensor.scalar(0.5))
        dict.set("empty", Tensor([], shape: [0, 4]))
        dict.set("bn.num_batches_tracked", Tensor.scalar(938), dtype: .int64)
        dict.set("ids", Tensor([-1, 0, 1_099_511_627_776], shape: [3]), dtype: .int64)
        dict.set("odd \"name\" é\n", Tensor([7], shape: [1]))
        let path = try temporaryFolder().appendingPathComponent("model.safetensors").path

        try Safetensors.write(dict, metadata: ["format": "pt", "note": "a \"quoted\" value"], to: path)
        let (read, metadata) = try Safetensors.read(path)

        #expect(metadata == ["format": "pt", "note": "a \"quoted\" value"])
        #expect(Set(read.keys) == Set(dict.keys))
        for (key, tensor, dtype) in dict.entries {
            let loaded = try #require(read[key], "missing \(key)")
            #expect(loaded.shape == tensor.shape, "\(key)")
            #expect(loaded.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(key)")
            #expect(read.dtype(of: key) == dtype, "\(key)")
        }
    }

    @Test func writesTheReferenceLayout() throws {
        var dict = StateDict()
        dict.set("b", Tensor([1, 2, 3], shape: [3]))
        dict.set("a", Tensor([4], shape: [1]))
        dict.set("count", Tensor.scalar(2), dtype: .int64)
        let bytes = [UInt8](try Safetensors.encode(dict, metadata: ["format": "pt"]))

        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(length % 8 == 0, "the header is padded to a multiple of 8 bytes")
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let json = header.trimmingCharacters(in: .whitespaces)
        #expect(json == #"{"__metadata__":{"format":"pt"},"count":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}}"#)
        #expect(header == json + String(repeating: " ", count: length - json.utf8.count), "padded with spaces")
        #expect(length - json.utf8.count < 8)
        #expect(bytes.count == 8 + length + 24)
        // Reading gives the file order: I64 first, then by name.
        #expect(try Safetensors.decode(Data(bytes), file: "x").0.keys == ["count", "a", "b"])
    }

    @Test func readsEntriesInDataOrderWhateverTheHeaderOrder() throws {
        let header = #"{"second":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"first":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let data: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]  // 1.0, 2.0
        let (dict, metadata) = try Safetensors.decode(safetensorsBytes(header: header, data: data), file: "x")
        #expect(dict.keys == ["first", "second"])
        #expect(dict["first"]?.scalars == [1])
        #expect(dict["second"]?.scalars == [2])
        #expect(metadata.isEmpty)
    }

    @Test func readsAPyTorchStateDict() throws {
        let (dict, _) = try Safetensors.read(fixtures.appendingPathComponent("tiny_resnet.init.safetensors").path)
        #expect(dict.count == 74)
        #expect(dict["conv1.weight"]?.shape == [8, 1, 3, 3])
        #expect(dict["fc.weight"]?.shape == [10, 64])
        #expect(dict["layer2.0.shortcut.0.weight"]?.shape == [16, 8, 1, 1])
        #expect(dict["conv1.weight"]?.scalars.prefix(2) == [-0.022875031, -0.17815547])
        #expect(dict["bn1.running_var"]?.scalars == [Float](repeating: 1, count: 8))
        let tracked = dict.keys.filter { $0.hasSuffix("num_batches_tracked") }
        #expect(!tracked.isEmpty)
        for key in tracked {
            #expect(dict.dtype(of: key) == .int64, "\(key)")
            #expect(dict[key]?.shape == [], "\(key)")
            #expect(dict[key]?.scalars == [0], "\(key)")
        }
        #expect(dict.dtype(of: "conv1.weight") == .float32)
    }

    @Test func readsI64Labels() throws {
        let (dict, _) = try Safetensors.read(fixtures.appendingPathComponent("mnist_test_first16.safetensors").path)
        #expect(dict["labels"]?.scalars == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5])
        #expect(dict.dtype(of: "labels") == .int64)
        #expect(dict["images"]?.shape == [16, 1, 32, 32])
    }

    @Test func refusesMalformedFiles() throws {
        let good = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let eight = [UInt8](repeating: 0, count: 8)
        expectFailure("crafted.safetensors", "too short") {
            _ = try Safetensors.decode(Data([1, 2, 3]), file: "crafted.safetensors")
        }
        expectFailure("header length", "absurd") { try decode(good, data: eight, length: 1 << 40) }
        expectFailure("header length", "larger than the rest of the file") {
            try decode(good, data: eight, length: UInt64(good.utf8.count + 9))
        }
        expectFailure("not valid JSON") { try decode(#"{"w":{"dtype":"F32","#, data: eight) }
        expectFailure("not valid JSON") { try decode("{} trailing") }
        expectFailure("not a JSON object") { try decode("[1, 2]") }
        expectFailure("\"w\"", "no \"dtype\" field") { try decode(#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, data: eight) }
        expectFailure("no \"shape\" field") { try decode(#"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eight) }
        expectFailure("no \"data_offsets\" field") { try decode(#"{"w":{"dtype":"F32","shape":[2]}}"#, data: eight) }
        expectFailure("dtype F16", "does not read") {
            try decode(#"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eight)
        }
        expectFailure("negative dimension -2") {
            try decode(#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight)
        }
        expectFailure("overflows") {
            try decode(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}"#, data: eight)
        }
        expectFailure("not an integer") {
            try decode(#"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: eight)
        }
        expectFailure("not an integer") {
            try decode(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999999]}}"#, data: eight)
        }
        expectFailure("past the end of the data") {
            try decode(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eight)
        }
        expectFailure("needs 12 bytes", "span 8") {
            try decode(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight)
        }
        expectFailure("not in order") {
            try decode(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: eight)
        }
        expectFailure("needs two data_offsets") {
            try decode(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, data: eight)
        }
        expectFailure("__metadata__", "must be a string") { try decode(#"{"__metadata__":{"epoch":3}}"#) }
        expectFailure("duplicate key") { try decode(#"{"w":{},"w":{}}"#) }
        expectFailure("not valid JSON", "nested") { try decode(String(repeating: "[", count: 1000)) }
    }

    @Test func refusesATruncatedFile() throws {
        let original = try Data(contentsOf: fixtures.appendingPathComponent("tiny_resnet.init.safetensors"))
        expectFailure("cut.safetensors", "past the end of the data", "truncated") {
            _ = try Safetensors.decode(original.prefix(original.count - 100), file: "cut.safetensors")
        }
        expectFailure("cut.safetensors", "larger than the rest of the file") {
            _ = try Safetensors.decode(original.prefix(1000), file: "cut.safetensors")
        }
    }

    @Test func refusesAMissingFile() {
        expectFailure("/nonexistent/model.safetensors", "no such file") {
            _ = try Safetensors.read("/nonexistent/model.safetensors")
        }
    }

    /// Damaged bytes must give an error or a valid dictionary, never a crash.
    @Test func survivesRandomDamage() throws {
        let original = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("mnist_test_first16.safetensors")).prefix(400))
        let valid = [UInt8](safetensorsBytes(header: #"{"__metadata__":{"a":"b"},"x":{"dtype":"I64","shape":[1,2],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[],"data_offsets":[16,20]}}"#,
                                             data: [UInt8](repeating: 7, count: 20)))
        let generator = Generator(seed: 42)
        var outcomes = (ok: 0, refused: 0)
        for trial in 0..<3000 {
            var bytes = trial % 2 == 0 ? valid : original
            for _ in 0...Int(generator.next() % 4) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
            do {
                _ = try Safetensors.decode(Data(bytes), file: "fuzz")
                outcomes.ok += 1
            } catch is CoreError {
                outcomes.refused += 1
            }
        }
        #expect(outcomes.ok + outcomes.refused == 3000)
        #expect(outcomes.refused > 0)
    }

    @Test func refusesToSaveAFractionAsInt64() throws {
        var dict = StateDict()
        dict.set("count", Tensor.scalar(1.5), dtype: .int64)
        expectFailure("count", "not a whole number") { _ = try Safetensors.encode(dict) }
        dict.set("count", Tensor.scalar(.nan), dtype: .int64)
        expectFailure("count", "not a whole number") { _ = try Safetensors.encode(dict) }
    }
}

@Suite(.ownGenerator) struct AtomicFileTests {
    @Test func replacesTheFileAndLeavesNoTemporaryFile() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("out.bin").path
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        try AtomicFile.write(Data([4, 5]), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.bin"])
    }

    @Test func createsAMissingFolder() throws {
        let path = try temporaryFolder().appendingPathComponent("output/run1/model.safetensors").path
        try AtomicFile.write(Data([9]), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([9]))
    }

    @Test func namesThePathWhenItCannotWrite() throws {
        let folder = try temporaryFolder()
        let blocker = folder.appendingPathComponent("file.txt")
        try Data([0]).write(to: blocker)
        let path = blocker.appendingPathComponent("model.safetensors").path
        expectFailure("cannot write \(path)", "not a folder", "--output") {
            try AtomicFile.write(Data([1]), to: path)
        }
        // Writing over a folder fails at the rename; the temporary file must be gone.
        let occupied = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
        try Data([0]).write(to: occupied.appendingPathComponent("inside"))
        expectFailure("cannot write \(occupied.path)") { try AtomicFile.write(Data([1]), to: occupied.path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["file.txt", "taken"])
    }
}

/// The header's JSON is read by Foundation's JSONDecoder; these pin what the reader adds to it.
@Suite(.ownGenerator) struct SafetensorsHeaderJSONTests {
    private let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
    private let four: [UInt8] = [0, 0, 0x80, 0x3F]  // 1.0

    @Test func readsEscapedNamesAndMetadata() throws {
        let header = #" {"__metadata__": {"n\u00e9": "a\"b\\c\ud83d\ude00"}, "a\/b\n": \#(entry)} "#
        let (dict, metadata) = try Safetensors.decode(safetensorsBytes(header: header, data: four), file: "x")
        #expect(dict.keys == ["a/b\n"])
        #expect(metadata == ["né": "a\"b\\c😀"])
    }

    @Test func refusesBrokenJSONWithWhereItBroke() {
        for text in ["", "{", #"{"a"}"#, #"{"a":}"#, "tru", #"{"w":{"dtype":"F32"} x"#] {
            expectFailure("crafted.safetensors is not a valid safetensors file", "not valid JSON (") { try decode(text) }
        }
        expectFailure("not valid JSON") { try decode(String(repeating: #"{"a":"#, count: 100_000)) }
    }

    @Test func refusesDuplicateKeysAtAnyDepthWhateverTheirEscapes() {
        expectFailure("duplicate key \"w\"") { try decode(#"{"w":\#(entry),"w":\#(entry)}"#, data: four) }
        expectFailure("duplicate key \"w\"") { try decode(#"{"w":\#(entry),"\u0077":\#(entry)}"#, data: four) }
        expectFailure("duplicate key \"dtype\"") {
            try decode(#"{"w":{"dtype":"F32","dtype":"I64","shape":[1],"data_offsets":[0,4]}}"#, data: four)
        }
        expectFailure("duplicate key \"k\"") { try decode(#"{"__metadata__":{"k":"1","k":"2"}}"#) }
    }

    @Test func takesNoStringContentForAKey() throws {
        // `"w":` inside a name or a metadata value is not a second key "w".
        let header = #"{"__metadata__":{"note":"\"w\": x"},"a\"w":\#(entry),"w":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}"#
        let (dict, _) = try Safetensors.decode(safetensorsBytes(header: header, data: four + four), file: "x")
        #expect(dict.keys == ["a\"w", "w"])
    }

    @Test func refusesAHeaderThatIsNotUTF8() {
        let utf16 = [UInt8](#"{"w":{}}"#.data(using: .utf16LittleEndian)!)
        expectFailure("x is not a valid safetensors file", "not valid JSON (a zero byte at byte 1)") {
            _ = try Safetensors.decode(safetensorsBytes(header: "", length: UInt64(utf16.count)) + Data(utf16), file: "x")
        }
        expectFailure("not UTF-8") { _ = try Safetensors.decode(safetensorsBytes(header: "", length: 3) + Data([0x7B, 0xFF, 0x7D]), file: "x") }
    }

    @Test func namesTheTensorAndFieldOfAWrongType() {
        expectFailure(#"tensor "w" is not an object"#) { try decode(#"{"w":[]}"#) }
        expectFailure(#"tensor "w" has dtype that is not a string"#) { try decode(#"{"w":{"dtype":3,"shape":[],"data_offsets":[0,4]}}"#, data: four) }
        expectFailure(#"tensor "w" has shape that is not an array"#) { try decode(#"{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}"#, data: four) }
        expectFailure(#"tensor "w" has data_offsets[1] that is not an integer"#) {
            try decode(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}"#, data: four)
        }
        expectFailure(#"tensor "w" has data_offsets[1] that is not an integer"#) {  // JSON allows no leading zero
            try decode(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,04]}}"#, data: four)
        }
        expectFailure("__metadata__ must be an object of strings") { try decode(#"{"__metadata__":[]}"#) }
    }
}
