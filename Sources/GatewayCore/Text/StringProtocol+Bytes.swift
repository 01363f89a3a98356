extension StringProtocol {
    /// Whether `needle` occurs in this string, compared byte for byte. Foundation's
    /// `contains(_:)` goes through `NSString`, and the standard library's generic
    /// `firstRange(of:)` is slower still: both showed in profiles. This is a plain loop
    /// over the UTF-8 bytes.
    func containsBytes(_ needle: StaticString) -> Bool {
        let wanted = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        if let found = utf8.withContiguousStorageIfAvailable({ Self.search($0, for: wanted) }) { return found }
        return Array(utf8).withUnsafeBufferPointer { Self.search($0, for: wanted) }
    }

    private static func search(_ haystack: UnsafeBufferPointer<UInt8>, for needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        guard haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            index += 1
        }
        return false
    }
}
