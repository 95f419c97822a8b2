import Kernels
import Autograd
import Layers

/// The JSON header of a safetensors file, checked against the size of the data that follows.
///
/// Every number in a header is untrusted: nothing is allocated from it until it has been checked
/// against the bytes actually present, so a damaged or hostile file gives a `CoreError`, never a
/// crash or a huge allocation.
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
        let root: JSONValue
        do {
            root = try JSONParser.parse(json)
        } catch let failure as JSONParser.Failure {
            throw CoreError("\(file) is not a valid safetensors file: the header is not valid JSON (\(failure.message))")
        }
        guard case let .object(members) = root else {
            throw CoreError("\(file) is not a valid safetensors file: the header is \(root.kindName), not a JSON object")
        }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try Self.metadata(value, file: file)
            } else {
                entries.append(try Self.entry(key, value, dataSize: dataSize, file: file))
            }
        }
        self.entries = entries.sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }
        self.metadata = metadata
    }

    private static func metadata(_ value: JSONValue, file: String) throws -> [String: String] {
        guard case let .object(members) = value else {
            throw CoreError("\(file): __metadata__ must be an object of strings, found \(value.kindName)")
        }
        var result: [String: String] = [:]
        for (key, item) in members {
            guard case let .string(text) = item else {
                throw CoreError("\(file): __metadata__ entry \"\(key)\" must be a string, found \(item.kindName)")
            }
            result[key] = text
        }
        return result
    }

    private static func entry(_ name: String, _ value: JSONValue, dataSize: Int, file: String) throws -> Entry {
        let problem = { (what: String) in CoreError("\(file): tensor \"\(name)\" \(what)") }
        guard case let .object(fields) = value else { throw problem("is \(value.kindName), not an object") }
        func field(_ key: String) throws -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else { throw problem("has no \"\(key)\" field") }
            return found.value
        }

        guard case let .string(dtypeName) = try field("dtype") else { throw problem("has a dtype that is not a string") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw problem("has dtype \(dtypeName), which this engine does not read (it reads F32 and I64)")
        }
        let shape = try integers(try field("shape"), name: "shape", problem: problem)
        if let negative = shape.first(where: { $0 < 0 }) { throw problem("has a negative dimension \(negative) in its shape") }
        let offsets = try integers(try field("data_offsets"), name: "data_offsets", problem: problem)
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

    private static func integers(_ value: JSONValue, name: String, problem: (String) -> CoreError) throws -> [Int] {
        guard case let .array(items) = value else { throw problem("has \(name) that is \(value.kindName), not an array") }
        return try items.map { item in
            guard let number = item.intValue else { throw problem("has \(name) with a value that is not an integer") }
            return number
        }
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

extension DType {
    /// Bytes per element in a safetensors file.
    var byteSize: Int {
        switch self {
        case .float32: return 4
        case .int64: return 8
        }
    }
}
