import Foundation

/// Amounts of money as people read them.
public enum Money {
    /// USD with up to nine decimals and no exponent: `$0.000008365` (never
    /// `8.364999999999999e-06`), `$12.5`, `$0`; `-` for a value that is not a number.
    public static func dollars(_ amount: Double) -> String {
        guard amount.isFinite else { return "-" }
        var text = String(format: "%.9f", amount)
        while text.hasSuffix("0"), !text.hasSuffix(".0") { text.removeLast() }
        if text.hasSuffix(".0") { text.removeLast(2) }
        return "$" + text
    }
}
