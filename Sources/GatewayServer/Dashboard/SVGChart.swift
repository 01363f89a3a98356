import Foundation

/// A bar chart drawn as SVG on the server: no script, no library, and every piece of text in
/// it escaped (a model name or provider is the caller's text).
struct SVGChart {
    /// One bar: its label (shown on hover, as the bar's title) and value.
    struct Bar {
        var label: String
        var value: Double
        /// A second value drawn over the first from the bottom (errors within requests).
        var part: Double = 0
    }

    var bars: [Bar]
    var width = 720
    var height = 160
    /// Labels under the first and last bar.
    var firstLabel = ""
    var lastLabel = ""

    /// The chart's SVG element.
    func render() -> String {
        let top = bars.map(\.value).max() ?? 0
        var svg =
            #"<svg class="chart" viewBox="0 0 \#(width) \#(height + 18)" role="img" xmlns="http://www.w3.org/2000/svg">"#
        svg += #"<line x1="0" y1="\#(height)" x2="\#(width)" y2="\#(height)" class="axis"/>"#
        if top > 0, !bars.isEmpty {
            let slot = Double(width) / Double(bars.count)
            let barWidth = max(1, slot * 0.8)
            for (index, bar) in bars.enumerated() {
                let x = Double(index) * slot + (slot - barWidth) / 2
                let full = Double(height) * bar.value / top
                let part = Double(height) * min(bar.part, bar.value) / top
                svg += #"<g><title>\#(HTML.escape(bar.label))</title>"#
                svg += rect(x: x, y: Double(height) - full, width: barWidth, height: full, kind: "bar")
                if part > 0 { svg += rect(x: x, y: Double(height) - part, width: barWidth, height: part, kind: "bar-part") }
                svg += "</g>"
            }
        }
        svg += #"<text x="0" y="\#(height + 14)" class="tick">\#(HTML.escape(firstLabel))</text>"#
        svg += #"<text x="\#(width)" y="\#(height + 14)" text-anchor="end" class="tick">\#(HTML.escape(lastLabel))</text>"#
        return svg + "</svg>"
    }

    /// A small horizontal bar for a share (0 to 1) of the whole, its errors' part in red, with
    /// the share as text beside it. Built from numbers only.
    static func share(_ fraction: Double, errors: Double) -> String {
        let width = 60.0
        let filled = max(0, min(1, fraction)) * width
        let failed = max(0, min(fraction, errors)) * width
        return #"<svg class="share" viewBox="0 0 100 12" width="100" height="12" role="img" xmlns="http://www.w3.org/2000/svg">"#
            + #"<rect x="0" y="1" width="\#(width)" height="10" class="track"/>"#
            + #"<rect x="0" y="1" width="\#(String(format: "%.1f", filled))" height="10" class="bar"/>"#
            + (failed > 0 ? #"<rect x="0" y="1" width="\#(String(format: "%.1f", failed))" height="10" class="bar-part"/>"# : "")
            + #"<text x="\#(width + 6)" y="10" class="tick">\#(String(format: "%.0f%%", fraction * 100))</text></svg>"#
    }

    private func rect(x: Double, y: Double, width: Double, height: Double, kind: String) -> String {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        return #"<rect x="\#(f(x))" y="\#(f(y))" width="\#(f(width))" height="\#(f(height))" class="\#(kind)"/>"#
    }
}
