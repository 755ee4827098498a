import CSystemZlib

/// A gzip stream inflated block by block: the one user of zlib (for rotated `mail.log.N.gz`).
/// Concatenated gzip members are read one after another, as `zcat` does.
package final class Gunzip {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    private var z = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 20)

    package init() throws {
        // 16 + MAX_WBITS: a gzip header, not a raw zlib stream.
        guard inflateInit2_(&z, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib failed to start")
        }
    }

    deinit { inflateEnd(&z) }

    /// Inflates `input` whole, handing each block of output to `body` as it comes.
    package func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        var offset = 0
        while offset < input.count {
            var status: Int32 = Z_OK
            var produced = 0
            let base = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
            output.withUnsafeMutableBufferPointer { out in
                z.next_in = base + offset
                z.avail_in = UInt32(input.count - offset)
                z.next_out = out.baseAddress
                z.avail_out = UInt32(out.count)
                status = CSystemZlib.inflate(&z, Z_NO_FLUSH)
                offset = input.count - Int(z.avail_in)
                produced = out.count - Int(z.avail_out)
            }
            if produced > 0 { output.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<produced])) } }
            if status == Z_STREAM_END {
                guard inflateReset(&z) == Z_OK else { throw Failure(description: "zlib reset failed") }
            } else if status != Z_OK && status != Z_BUF_ERROR {
                throw Failure(description: "not a valid gzip file (zlib error \(status))")
            }
        }
    }
}
