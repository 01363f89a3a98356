import AIGateway
import Foundation
import GatewayCore

/// A route's graph drawn as SVG on the server: elements in columns by their distance from
/// start, each output an arrow labelled with its name, and the elements requests passed
/// through most emphasised. Every piece of text is escaped (element ids and models are the
/// route author's text).
struct RouteGraphSVG {
    var elements: [RouteElement]
    /// How many logged requests passed through each element (by id).
    var passes: [String: Int] = [:]

    static let boxWidth = 170
    static let boxHeight = 46
    static let columnGap = 70
    static let rowGap = 22

    func render() -> String {
        let index = Dictionary(elements.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Column: the longest distance from start (the graph has no cycle; the API checked it).
        var column = [Int](repeating: 0, count: elements.count)
        if let start = elements.firstIndex(where: { $0.type == "start" }) {
            var queue = [start]
            var steps = 0
            while let node = queue.first, steps < elements.count * elements.count {
                queue.removeFirst()
                steps += 1
                for output in elements[node].outputs.values {
                    guard let target = index[output.elementID], column[target] < column[node] + 1 else { continue }
                    column[target] = column[node] + 1
                    queue.append(target)
                }
            }
        }
        var rowsUsed: [Int: Int] = [:]
        var position: [(x: Int, y: Int)] = []
        for node in elements.indices {
            let row = rowsUsed[column[node], default: 0]
            rowsUsed[column[node]] = row + 1
            position.append((12 + column[node] * (Self.boxWidth + Self.columnGap), 12 + row * (Self.boxHeight + Self.rowGap)))
        }
        let width = ((column.max() ?? 0) + 1) * (Self.boxWidth + Self.columnGap) + 24
        let height = (rowsUsed.values.max() ?? 1) * (Self.boxHeight + Self.rowGap) + 24
        let busiest = max(1, passes.values.max() ?? 1)
        var svg = #"<svg class="route-graph" viewBox="0 0 \#(width) \#(height)" role="img" xmlns="http://www.w3.org/2000/svg">"#
        svg += #"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>"#
        for (node, element) in elements.enumerated() {
            for (name, output) in element.outputs.sorted(by: { $0.key < $1.key }) {
                guard let target = index[output.elementID] else { continue }
                let from = (x: position[node].x + Self.boxWidth, y: position[node].y + Self.boxHeight / 2)
                let to = (x: position[target].x, y: position[target].y + Self.boxHeight / 2)
                svg += #"<line x1="\#(from.x)" y1="\#(from.y)" x2="\#(to.x)" y2="\#(to.y)" class="edge" marker-end="url(#arrow)"/>"#
                // The label a third of the way along, clear of the arrows meeting at the target.
                svg += #"<text x="\#(from.x + (to.x - from.x) / 3)" y="\#(from.y + (to.y - from.y) / 3 - 4)" class="edge-label">\#(HTML.escape(name))</text>"#
            }
        }
        for (node, element) in elements.enumerated() {
            let (x, y) = position[node]
            let count = passes[element.id] ?? 0
            let weight = count == 0 ? "" : " busy\(min(3, 1 + count * 3 / busiest))"
            svg += #"<g class="node \#(HTML.escape(element.type))\#(weight)"><title>\#(HTML.escape(Self.describe(element))) — \#(count) logged requests</title>"#
            svg += #"<rect x="\#(x)" y="\#(y)" width="\#(Self.boxWidth)" height="\#(Self.boxHeight)" rx="6"/>"#
            svg += #"<text x="\#(x + 8)" y="\#(y + 18)" class="node-id">\#(HTML.escape(Self.clip(element.id)))</text>"#
            svg += #"<text x="\#(x + 8)" y="\#(y + 36)" class="node-detail">\#(HTML.escape(Self.clip(Self.describe(element))))</text>"#
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// What an element does, in a few words.
    static func describe(_ element: RouteElement) -> String {
        let properties = element.properties ?? [:]
        switch element.type {
        case "model": return "\(properties["provider"]?.stringValue ?? "?")/\(properties["model"]?.stringValue ?? "?")"
        case "conditional":
            let condition = properties["conditions"] ?? properties["condition"] ?? .null
            return "if " + String(decoding: condition.jsonData(), as: UTF8.self)
        case "percentage": return "split " + element.outputs.keys.sorted().joined(separator: " / ")
        case "rate", "rate_limit":
            return "\(properties["limit"]?.numberValue.map { String(Int($0)) } ?? "?") \(properties["limitType"]?.stringValue ?? "") per \(properties["key"]?.stringValue ?? "?")"
        default: return element.type
        }
    }

    static func clip(_ text: String) -> String { text.count > 26 ? String(text.prefix(25)) + "…" : text }
}
