import CLibPNG
import Foundation

/// A PNG read back through libpng, as a viewer would see it.
struct DecodedPNG {
    let width: Int, height: Int
    /// RGB bytes, row-major, top row first.
    let rgb: [UInt8]
    let colorType: Int, bitDepth: Int
    let pixelsPerMeter: (x: UInt32, y: UInt32, unit: Int32)?
    let text: [String: String]

    func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int) {
        let i = (y * width + x) * 3
        return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
    }

    /// Roughly "red" as a person would call it: strong red channel, weak green and blue.
    func isRed(_ x: Int, _ y: Int) -> Bool {
        let p = pixel(x, y)
        return p.r > 180 && p.g < 120 && p.b < 120
    }

    func isWhite(_ x: Int, _ y: Int) -> Bool {
        let p = pixel(x, y)
        return p.r > 245 && p.g > 245 && p.b > 245
    }

    func isDark(_ x: Int, _ y: Int) -> Bool {
        let p = pixel(x, y)
        return p.r + p.g + p.b < 300
    }
}

enum PNGReadError: Error { case cannotOpen(String), notPNG(String) }

/// Reads pixels with libpng's simplified API and metadata with the classic API.
func readPNG(_ path: String) throws -> DecodedPNG {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_file(&image, path) != 0 else { throw PNGReadError.cannotOpen(path) }
    image.format = png_uint_32(PNG_FORMAT_RGB)
    var buffer = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * 3)
    guard png_image_finish_read(&image, nil, &buffer, 0, nil) != 0 else { throw PNGReadError.notPNG(path) }

    guard let fp = fopen(path, "rb") else { throw PNGReadError.cannotOpen(path) }
    defer { fclose(fp) }
    var png: png_structp? = png_create_read_struct(PNG_LIBPNG_VER_STRING, nil, nil, nil)
    var info: png_infop? = png_create_info_struct(png)
    defer { png_destroy_read_struct(&png, &info, nil) }
    png_init_io(png, fp)
    png_read_info(png, info)
    var resX: png_uint_32 = 0, resY: png_uint_32 = 0
    var unit: Int32 = 0
    let hasPHYs = png_get_pHYs(png, info, &resX, &resY, &unit) != 0
    var textPtr: png_textp?
    var count: Int32 = 0
    png_get_text(png, info, &textPtr, &count)
    var text: [String: String] = [:]
    if let textPtr {
        for i in 0..<Int(count) {
            text[String(cString: textPtr[i].key)] = String(cString: textPtr[i].text)
        }
    }
    return DecodedPNG(width: Int(image.width), height: Int(image.height), rgb: buffer,
                      colorType: Int(png_get_color_type(png, info)), bitDepth: Int(png_get_bit_depth(png, info)),
                      pixelsPerMeter: hasPHYs ? (resX, resY, unit) : nil, text: text)
}

/// A fresh directory for one test's files.
func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "charts-tests-\(getpid())-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
