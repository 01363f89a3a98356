/// A plain search of bytes for bytes: what the log writer's usage filter and the string
/// checks below share. Foundation's `contains(_:)` goes through `NSString`, and the standard
/// library's generic `firstRange(of:)` is slower still: both showed in profiles.
enum ByteSearch {
    /// Whether `needle` occurs in `haystack` (an empty needle always does).
    static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
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

    /// Whether `needle` occurs in the bytes `haystack`.
    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: StaticString) -> Bool {
        haystack.withUnsafeBufferPointer { contains($0, needle.bytes) }
    }
}

extension StaticString {
    /// The string's UTF-8 bytes, in place.
    fileprivate var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount) }
}

extension StringProtocol {
    /// Whether `needle` occurs in this string, compared byte for byte (see ``ByteSearch``).
    func containsBytes(_ needle: StaticString) -> Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ ByteSearch.contains($0, needle.bytes) }) { return found }
        return Array(utf8).withUnsafeBufferPointer { ByteSearch.contains($0, needle.bytes) }
    }
}
