import Foundation
import Kernels
import Autograd
import Layers

/// The JSON header of a safetensors file, checked against the size of the data that follows.
///
/// Every number in a header is untrusted: nothing is allocated from it until it has been checked
/// against the bytes actually present, so a damaged or hostile file gives a `CoreError`, never a
/// crash or a huge allocation. The caller has already refused headers longer than
/// `Safetensors.maximumHeaderLength`; Foundation's `JSONDecoder` refuses nesting deeper than 512.
struct SafetensorsHeader {
    /// One tensor's description; `begin..<end` are byte offsets into the data section.
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// The tensors in data-offset order (then by name), which is the order the writer chose.
    let entries: [Entry]
    /// The optional `__metadata__` string map.
    let metadata: [String: String]

    /// Parses and validates the header text. `dataSize` is the number of bytes after the header.
    /// `file` only serves to name the file in error messages.
    init(json: [UInt8], dataSize: Int, file: String) throws {
        let raw = try RawHeader.decode(json, file: file)
        self.entries = try raw.tensors.map { name, fields in
            try Self.entry(name, fields, dataSize: dataSize, file: file)
        }.sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }
        self.metadata = raw.metadata
    }

    private static func entry(_ name: String, _ fields: RawEntry, dataSize: Int, file: String) throws -> Entry {
        let problem = { (what: String) in CoreError("\(file): tensor \"\(name)\" \(what)") }
        guard let dtypeName = fields.dtype else { throw problem("has no \"dtype\" field") }
        guard let shape = fields.shape?.map(\.value) else { throw problem("has no \"shape\" field") }
        guard let offsets = fields.data_offsets?.map(\.value) else { throw problem("has no \"data_offsets\" field") }

        guard let dtype = DType(rawValue: dtypeName) else {
            throw problem("has dtype \(dtypeName), which this engine does not read (it reads F32 and I64)")
        }
        if let negative = shape.first(where: { $0 < 0 }) { throw problem("has a negative dimension \(negative) in its shape") }
        guard offsets.count == 2 else { throw problem("needs two data_offsets [begin, end], found \(offsets.count)") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, begin <= end else { throw problem("has data_offsets [\(begin), \(end)] that are not in order") }
        guard end <= dataSize else {
            throw problem("has data_offsets [\(begin), \(end)] past the end of the data (\(dataSize) bytes); the file is truncated or damaged")
        }
        let expected = try byteCount(shape: shape, dtype: dtype, problem: problem)
        guard end - begin == expected else {
            throw problem("of shape \(Shape.text(shape)) and dtype \(dtypeName) needs \(expected) bytes, but its data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Elements times element size, refusing counts that overflow.
    private static func byteCount(shape: [Int], dtype: DType, problem: (String) -> CoreError) throws -> Int {
        var total = dtype.byteSize
        for dimension in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { throw problem("has a shape \(Shape.text(shape)) whose size overflows") }
            total = product
        }
        return total
    }
}

// MARK: - Decoding the JSON

/// The header as the JSON has it, before any check: every key names a tensor except `__metadata__`.
/// Key order is not kept; the reader sorts the entries by data offset.
private struct RawHeader: Decodable {
    var tensors: [String: RawEntry] = [:]
    var metadata: [String: String] = [:]

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let object = try decoder.container(keyedBy: Key.self)
        for key in object.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try object.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try object.decode(RawEntry.self, forKey: key)
            }
        }
    }

    /// Decodes the header, turning every refusal into a `CoreError` that names the file.
    static func decode(_ json: [UInt8], file: String) throws -> RawHeader {
        let invalid = "\(file) is not a valid safetensors file: the header"
        // JSONDecoder also reads UTF-16 and UTF-32, which it recognises by their zero bytes; a
        // safetensors header is UTF-8 (the reference reader insists), where a zero byte is never
        // valid JSON. Refusing both here also lets the duplicate-key scan below read UTF-8 bytes.
        if let zero = json.firstIndex(of: 0) { throw CoreError("\(invalid) is not valid JSON (a zero byte at byte \(zero))") }
        guard String(validating: json, as: UTF8.self) != nil else { throw CoreError("\(invalid) is not UTF-8 text") }
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: Data(json))
        } catch let error as DecodingError {
            throw CoreError(describe(error, json: json, file: file))
        }
        if let key = duplicateKey(in: json) { throw CoreError("\(invalid) has a duplicate key \"\(key)\"") }
        return header
    }

    /// A sentence for a `DecodingError`, naming the tensor and field its coding path leads to.
    private static func describe(_ error: DecodingError, json: [UInt8], file: String) -> String {
        let path: [CodingKey]
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            path = context.codingPath
        case let .keyNotFound(key, context):  // not expected: every field is optional
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        guard let first = path.first else {
            if case .typeMismatch = error { return "\(file) is not a valid safetensors file: the header is not a JSON object" }
            return "\(file) is not a valid safetensors file: the header is not valid JSON (\(syntaxProblem(json)))"
        }
        if first.stringValue == "__metadata__" {
            guard path.count > 1 else { return "\(file): __metadata__ must be an object of strings" }
            return "\(file): __metadata__ entry \"\(path[1].stringValue)\" must be a string"
        }
        let tensor = "\(file): tensor \"\(first.stringValue)\""
        guard path.count > 1 else { return "\(tensor) is not an object" }
        let field = path[1].stringValue + path.dropFirst(2).map { "[\($0.intValue ?? 0)]" }.joined()
        let expected = path.count > 2 ? "an integer" : field == "dtype" ? "a string" : "an array"
        return "\(tensor) has \(field) that is not \(expected)"
    }

    /// JSONDecoder says only "The given data was not valid JSON."; JSONSerialization says where.
    private static func syntaxProblem(_ json: [UInt8]) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            if let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        }
        return "The given data was not valid JSON."
    }

    /// The first key that appears twice in one object, if any.
    ///
    /// Foundation keeps one of two equal keys without a word (JSONDecoder the first,
    /// JSONSerialization the last; Swift 6.3 on Linux), while Python's json keeps the last: a header
    /// naming a tensor or a field twice would load differently here and in PyTorch, so it is refused.
    /// The JSON is already known to be valid UTF-8 JSON, so this only has to find each object's
    /// keys: the strings followed by ':'. Bounds are still checked, so no input can make it trap.
    private static func duplicateKey(in json: [UInt8]) -> String? {
        let (quote, backslash, colon) = (UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: ":"))
        var keysPerObject: [Set<String>] = []
        var position = 0
        while position < json.count {
            switch json[position] {
            case UInt8(ascii: "{"): keysPerObject.append([])
            case UInt8(ascii: "}"): _ = keysPerObject.popLast()
            case quote:
                let start = position
                position += 1
                while position < json.count, json[position] != quote { position += json[position] == backslash ? 2 : 1 }
                var next = position + 1
                while next < json.count, [0x20, 0x09, 0x0A, 0x0D].contains(json[next]) { next += 1 }
                guard next < json.count, json[next] == colon, !keysPerObject.isEmpty else { break }
                let key = keyText(Array(json[start..<min(position + 1, json.count)]))
                if !keysPerObject[keysPerObject.count - 1].insert(key).inserted { return key }
            default: break
            }
            position += 1
        }
        return nil
    }

    /// A quoted key's text with its escapes resolved, so that "w" and "\u0077" count as the same key.
    private static func keyText(_ quoted: [UInt8]) -> String {
        if !quoted.contains(UInt8(ascii: "\\")), quoted.count >= 2 {
            return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self)
        }
        return (try? JSONDecoder().decode(String.self, from: Data(quoted))) ?? String(decoding: quoted, as: UTF8.self)
    }
}

/// One tensor's fields as the JSON has them; a missing field is nil, to be named in the error.
private struct RawEntry: Decodable {
    let dtype: String?
    let shape: [JSONInteger]?
    let data_offsets: [JSONInteger]?
}

/// An integer of `shape` or `data_offsets`. JSONDecoder refuses fractions and numbers beyond `Int`
/// on its own, but reports them as "not valid JSON" with an empty coding path (Swift 6.3 on
/// Linux); re-throwing as a type mismatch keeps the path, so the message names tensor and field.
/// (It accepts `1.0` and `1e3`, which are whole numbers.)
private struct JSONInteger: Decodable {
    let value: Int

    init(from decoder: Decoder) throws {
        do {
            value = try decoder.singleValueContainer().decode(Int.self)
        } catch {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath, debugDescription: "not an integer"))
        }
    }
}

extension DType {
    /// Bytes per element in a safetensors file.
    var byteSize: Int {
        switch self {
        case .float32: return 4
        case .int64: return 8
        }
    }
}
