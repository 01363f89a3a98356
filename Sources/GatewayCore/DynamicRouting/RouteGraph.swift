import AIGateway
import Foundation

/// A dynamic route's graph, checked and ready to walk (SPEC section 11). Made from a version's
/// elements by ``compile(_:)``, which refuses, naming the element, anything a request could
/// not walk: unknown types, a missing or duplicate start, missing or dangling outputs,
/// cycles, elements start never reaches, percentages over 100, conditions that do not parse,
/// a model's success that does not end the route.
public struct RouteGraph: Sendable {
    /// One step of the walk; outputs are indexes into ``nodes``.
    public enum Node: Sendable {
        case start(next: Int)
        case conditional(RouteCondition, ifTrue: Int, ifFalse: Int)
        /// Named shares in percent, then `else` for the rest; with `key` (aigw's extension) the
        /// same value of that field always takes the same branch.
        case percentage(shares: [(percent: Double, next: Int)], otherwise: Int?, key: RouteField?)
        case rate(RateLimit)
        case model(ModelCall)
        case end
    }

    /// A `rate` element: at most `limit` requests (or USD) per `window` seconds per value of `key`.
    public struct RateLimit: Sendable {
        public var key: RouteField
        public var limit: Double
        public var costLimited: Bool
        public var window: Int
        public var sliding: Bool
        public var success: Int
        public var fallback: Int?
    }

    /// A `model` element: the call, and where to go when it fails before its first byte.
    public struct ModelCall: Sendable {
        public var provider: String
        public var model: String
        public var timeoutMs: Int?
        public var retries: Int
        public var success: Int
        public var fallback: Int?
    }

    /// The element ids, by index.
    public let ids: [String]
    public let nodes: [Node]
    /// The start element's index.
    public let start: Int

    /// Checks `elements` and compiles them; a ``ManagementError`` names the element at fault.
    public static func compile(_ elements: [RouteElement]) throws(ManagementError) -> RouteGraph {
        guard !elements.isEmpty, elements.count <= 100 else {
            throw .badInput("elements", "a route has 1 to 100 elements")
        }
        var index: [String: Int] = [:]
        for (position, element) in elements.enumerated() {
            // `>` joins element ids into a log's route path.
            guard !element.id.isEmpty, element.id.utf8.count <= 128,
                element.id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != ">" })
            else {
                throw .badInput("elements[\(position)].id", "must be 1 to 128 bytes, without control characters or '>'")
            }
            if index.updateValue(position, forKey: element.id) != nil {
                throw .badInput("elements[\(position)].id", "'\(element.id)' is the id of an earlier element")
            }
        }
        let starts = elements.indices.filter { elements[$0].type == "start" }
        guard starts.count == 1 else {
            throw .badInput("elements", starts.isEmpty ? "a route needs a start element" : "a route has one start element, not \(starts.count)")
        }
        var nodes: [Node] = []
        for (position, element) in elements.enumerated() {
            nodes.append(try node(element, at: position, index: index))
        }
        let graph = RouteGraph(ids: elements.map(\.id), nodes: nodes, start: starts[0])
        try graph.checkShape()
        return graph
    }

    private static func node(_ element: RouteElement, at position: Int, index: [String: Int]) throws(ManagementError) -> Node {
        let field = "elements[\(position)] ('\(element.id)')"
        let properties = element.properties ?? [:]
        func output(_ name: String, required: Bool = true) throws(ManagementError) -> Int? {
            guard let target = element.outputs[name] else {
                if required { throw .badInput(field, "a \(element.type) element needs the output '\(name)'") }
                return nil
            }
            guard let found = index[target.elementID] else {
                throw .badInput("\(field).outputs.\(name)", "leads to '\(target.elementID)', which is not an element of the route")
            }
            return found
        }
        func allowOutputs(_ names: Set<String>) throws(ManagementError) {
            if let extra = element.outputs.keys.sorted().first(where: { !names.contains($0) }) {
                throw .badInput("\(field).outputs.\(extra)", "a \(element.type) element has no such output (it has \(names.sorted().joined(separator: ", ")))")
            }
        }
        func number(_ names: [String], _ range: ClosedRange<Double>, required: Bool = true) throws(ManagementError) -> Double? {
            guard let name = names.first(where: { properties[$0] != nil }) else {
                if required { throw .badInput("\(field).properties.\(names[0])", "is required") }
                return nil
            }
            guard let value = properties[name]?.numberValue, value.isFinite, range.contains(value) else {
                throw .badInput("\(field).properties.\(name)", "must be a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        func text(_ name: String) throws(ManagementError) -> String {
            guard let value = properties[name]?.stringValue, !value.isEmpty, value.utf8.count <= 256 else {
                throw .badInput("\(field).properties.\(name)", "must be a string of 1 to 256 bytes")
            }
            return value
        }

        switch element.type {
        case "start":
            try allowOutputs(["next"])
            return .start(next: try output("next")!)
        case "conditional":
            try allowOutputs(["true", "false"])
            guard let condition = properties["conditions"] ?? properties["condition"] else {
                throw .badInput("\(field).properties.conditions", "is required: e.g. {\"metadata.plan\": {\"$eq\": \"free\"}}")
            }
            return .conditional(
                try RouteCondition.parse(condition, field: "\(field).properties.conditions"), ifTrue: try output("true")!,
                ifFalse: try output("false")!)
        case "percentage":
            var shares: [(Double, Int)] = []
            var total = 0.0
            for name in element.outputs.keys.sorted() where name != "else" {
                guard name.hasSuffix("%"), let percent = Double(name.dropLast()), percent > 0, percent <= 100 else {
                    throw .badInput("\(field).outputs.\(name)", "a percentage output is named like \"10%\" (more than 0, at most 100), or \"else\"")
                }
                total += percent
                shares.append((percent, try output(name)!))
            }
            guard !shares.isEmpty else { throw .badInput(field, "a percentage element needs at least one output like \"10%\"") }
            guard total <= 100 + 1e-9 else {
                throw .badInput(field, "its percentages add up to \(total.formatted())%, more than 100%")
            }
            let otherwise = try output("else", required: false)
            if otherwise == nil, total < 100 - 1e-9 {
                throw .badInput(field, "its percentages add up to \(total.formatted())%: add an \"else\" output for the rest")
            }
            let key = try properties["key"].map { value throws(ManagementError) in
                guard let text = value.stringValue else { throw .badInput("\(field).properties.key", "must be a field name, e.g. metadata.user") }
                return try RouteField.parse(text, field: "\(field).properties.key")
            }
            if let extra = properties.keys.sorted().first(where: { $0 != "key" }) {
                throw .badInput("\(field).properties.\(extra)", "a percentage element has only the property 'key' (aigw's)")
            }
            return .percentage(shares: shares, otherwise: otherwise, key: key)
        case "rate", "rate_limit":
            try allowOutputs(["success", "fallback"])
            let kind = properties["limitType"]?.stringValue ?? properties["limit_type"]?.stringValue
            guard kind == "count" || kind == "cost" else {
                throw .badInput("\(field).properties.limitType", "must be \"count\" or \"cost\"")
            }
            let technique = properties["technique"]?.stringValue ?? "fixed"
            guard technique == "fixed" || technique == "sliding" else {
                throw .badInput("\(field).properties.technique", "must be \"fixed\" or \"sliding\"")
            }
            let window = try number(["window", "interval"], 1...Double(366 * 86_400))!
            guard window.rounded() == window else { throw .badInput("\(field).properties.window", "must be whole seconds") }
            return .rate(
                RateLimit(
                    key: try RouteField.parse(try text("key"), field: "\(field).properties.key"), limit: try number(["limit"], 0...1e12)!,
                    costLimited: kind == "cost", window: Int(window), sliding: technique == "sliding", success: try output("success")!,
                    fallback: try output("fallback", required: false)))
        case "model":
            try allowOutputs(["success", "fallback"])
            let retries = try number(["retries"], 0...5, required: false) ?? 0
            let timeout = try number(["timeout"], 0...3_600_000, required: false)
            return .model(
                ModelCall(
                    provider: try text("provider"), model: try text("model"), timeoutMs: timeout.map { Int($0) }.flatMap { $0 > 0 ? $0 : nil },
                    retries: Int(retries), success: try output("success")!, fallback: try output("fallback", required: false)))
        case "end":
            try allowOutputs([])
            return .end
        default:
            throw .badInput("\(field).type", "unknown element type '\(element.type)' (start, conditional, percentage, rate, model, end)")
        }
    }

    /// Where each node leads.
    func successors(_ node: Node) -> [Int] {
        switch node {
        case .start(let next): [next]
        case .conditional(_, let ifTrue, let ifFalse): [ifTrue, ifFalse]
        case .percentage(let shares, let otherwise, _): shares.map(\.next) + (otherwise.map { [$0] } ?? [])
        case .rate(let rate): [rate.success] + (rate.fallback.map { [$0] } ?? [])
        case .model(let model): [model.success] + (model.fallback.map { [$0] } ?? [])
        case .end: []
        }
    }

    /// No cycle, every element reached from start, a model's success ends the route.
    private func checkShape() throws(ManagementError) {
        enum Mark { case unseen, open, done }
        var marks = Array(repeating: Mark.unseen, count: nodes.count)
        var stack: [(node: Int, next: Int)] = [(start, 0)]
        marks[start] = .open
        while let top = stack.last {
            let outs = successors(nodes[top.node])
            if top.next < outs.count {
                stack[stack.count - 1].next += 1
                let target = outs[top.next]
                switch marks[target] {
                case .open:
                    throw .badInput("elements ('\(ids[top.node])')", "an output leads back to '\(ids[target])': a route may not loop")
                case .unseen:
                    marks[target] = .open
                    stack.append((target, 0))
                case .done: break
                }
            } else {
                marks[top.node] = .done
                stack.removeLast()
            }
        }
        if let lost = marks.firstIndex(where: { $0 == .unseen }) {
            throw .badInput("elements ('\(ids[lost])')", "start never leads to this element")
        }
        for (position, node) in nodes.enumerated() {
            if case .model(let call) = node, case .end = nodes[call.success] {} else if case .model = node {
                throw .badInput("elements ('\(ids[position])').outputs.success", "a model's success must lead to an end element")
            }
        }
    }
}
