/// A set of small non-negative integers (account indexes) as bits: marked and tested
/// without hashing.
struct Marks {
    private var bits: [UInt64] = []

    mutating func insert(_ i: Int) {
        let word = i >> 6
        if word >= bits.count { bits.append(contentsOf: repeatElement(0, count: word - bits.count + 1)) }
        bits[word] |= 1 << UInt64(i & 63)
    }

    func contains(_ i: Int) -> Bool {
        let word = i >> 6
        return word < bits.count && bits[word] & (1 << UInt64(i & 63)) != 0
    }
}
