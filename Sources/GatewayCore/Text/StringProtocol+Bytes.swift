extension StringProtocol {
    /// Whether `needle` occurs in this string, compared byte for byte. Foundation's
    /// `contains(_:)` goes through `NSString` (with locale handling), which showed in the
    /// request path's profile; this is a plain search of the UTF-8 bytes.
    func containsBytes(_ needle: String) -> Bool {
        utf8.firstRange(of: needle.utf8) != nil
    }
}
