extension StringProtocol {
    /// The text as an error message can quote it: control characters and anything outside
    /// ASCII written as `\u{..}`, so a quoted client value can neither break a line of the
    /// process log nor pass look-alike letters as plain ones; at most 200 characters.
    public var printableInError: String {
        var shown = ""
        for scalar in unicodeScalars.prefix(200) {
            if scalar.isASCII, scalar.value >= 0x20, scalar.value != 0x7F {
                shown.unicodeScalars.append(scalar)
            } else {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return unicodeScalars.count > 200 ? shown + "..." : shown
    }
}
