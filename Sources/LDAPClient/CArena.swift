import CLDAP
import Foundation

/// Owns the C memory built for one request (strings, bervals, NULL-terminated arrays) and
/// frees all of it when the request has been handed to libldap, which encodes requests before
/// `ldap_*_ext` returns. Every allocation goes through here, so none can leak.
final class CArena {
    private var pointers: [UnsafeMutableRawPointer] = []

    deinit { for p in pointers { free(p) } }

    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        pointers.append(UnsafeMutableRawPointer(p))
        return p
    }

    func bytes(_ data: some Collection<UInt8>) -> UnsafeMutablePointer<CChar> {
        let raw = malloc(max(data.count, 1))!
        pointers.append(raw)
        let p = raw.bindMemory(to: UInt8.self, capacity: max(data.count, 1))
        _ = UnsafeMutableBufferPointer(start: p, count: data.count).initialize(from: data)
        return raw.bindMemory(to: CChar.self, capacity: max(data.count, 1))
    }

    func berval(_ data: some Collection<UInt8>) -> UnsafeMutablePointer<berval> {
        let bv = allocate(CLDAP.berval.self, count: 1)
        bv.initialize(to: CLDAP.berval(bv_len: ber_len_t(data.count), bv_val: bytes(data)))
        return bv
    }

    /// A NULL-terminated array of the given pointers (the shape of `char **`, `LDAPMod **`…).
    func nullTerminated<T>(_ items: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?> {
        let arr = allocate(UnsafeMutablePointer<T>?.self, count: items.count + 1)
        for (i, item) in items.enumerated() { (arr + i).initialize(to: item) }
        (arr + items.count).initialize(to: nil)
        return arr
    }

    func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(MemoryLayout<T>.stride * max(count, 1))!
        pointers.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    func stringArray(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        nullTerminated(strings.map(cString))
    }
}

extension berval {
    /// Copies the value's bytes into Swift memory.
    var data: Data {
        guard let bv_val, bv_len > 0 else { return Data() }
        return Data(bytes: bv_val, count: Int(bv_len))
    }
    var string: String {
        guard let bv_val, bv_len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bv_val, count: Int(bv_len)), as: UTF8.self)
    }
}

extension Double {
    var asTimeval: timeval {
        let whole = self.rounded(.down)
        return timeval(tv_sec: Int(whole), tv_usec: Int((self - whole) * 1_000_000))
    }
}
