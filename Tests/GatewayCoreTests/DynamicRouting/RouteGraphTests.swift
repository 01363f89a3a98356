import AIGateway
import Foundation
import HTTPTypes
import PropertyBased
import Synchronization
import TestSupport
import Testing

@testable import GatewayCore

@Suite("Route graphs: checked when saved, naming the element at fault; conditions and splits as specified")
struct RouteGraphTests {
    func element(_ id: String, _ type: String, _ properties: [String: JSONValue]? = nil, _ outputs: [String: String] = [:]) -> RouteElement {
        RouteElement(id: id, type: type, properties: properties, outputs: outputs.mapValues(RouteOutput.init))
    }

    var valid: [RouteElement] {
        [
            element("start", "start", nil, ["next": "plan"]),
            element("plan", "conditional", ["conditions": ["metadata.plan": ["$eq": "free"]]], ["true": "split", "false": "big"]),
            element("split", "percentage", nil, ["10%": "small", "else": "big"]),
            element("small", "model", ["provider": "openai", "model": "gpt-4o-mini", "timeout": 1000, "retries": 1], ["success": "end"]),
            element("big", "model", ["provider": "openai", "model": "gpt-4o"], ["success": "end", "fallback": "small"]),
            element("end", "end"),
        ]
    }

    func problem(_ elements: [RouteElement]) -> String? {
        do {
            _ = try RouteGraph.compile(elements)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("a valid graph compiles into nodes that keep their outputs")
    func compiles() throws {
        let graph = try RouteGraph.compile(valid)
        #expect(graph.ids[graph.start] == "start")
        guard case .model(let big) = graph.nodes[4] else {
            Issue.record("element 4 is not a model")
            return
        }
        #expect(big.fallback == 3 && big.success == 5 && big.retries == 0 && big.timeoutMs == nil)
    }

    @Test("each broken graph is refused, naming the element")
    func refusals() {
        var unknownType = valid
        unknownType[2].type = "teleport"
        #expect(problem(unknownType)?.contains("elements[2] ('split').type") == true)
        var dangling = valid
        dangling[0].outputs["next"] = RouteOutput("nowhere")
        #expect(problem(dangling)?.contains("'nowhere'") == true)
        var cycle = valid
        cycle[4].outputs["fallback"] = RouteOutput("plan")
        #expect(problem(cycle)?.contains("loop") == true)
        var over = valid
        over[2].outputs = ["60%": RouteOutput("small"), "50%": RouteOutput("big")]
        #expect(problem(over)?.contains("110%") == true)
        var short = valid
        short[2].outputs = ["60%": RouteOutput("small")]
        #expect(problem(short)?.contains("else") == true)
        var badCondition = valid
        badCondition[1].properties = ["conditions": ["metadata.plan": ["$like": "f%"]]]
        #expect(problem(badCondition)?.contains("$like") == true)
        var twoStarts = valid
        twoStarts.append(element("again", "start", nil, ["next": "end"]))
        #expect(problem(twoStarts)?.contains("one start") == true)
        var orphan = valid
        orphan.append(element("lonely", "end"))
        #expect(problem(orphan)?.contains("'lonely'") == true)
        var duplicate = valid
        duplicate[5].id = "small"
        #expect(problem(duplicate)?.contains("earlier element") == true)
        var successNotEnd = valid
        successNotEnd[4].outputs["fallback"] = nil
        successNotEnd[3].outputs["success"] = RouteOutput("big")
        #expect(problem(successNotEnd)?.contains("success must lead to an end") == true)
        var extraOutput = valid
        extraOutput[5].outputs["next"] = RouteOutput("start")
        #expect(problem(extraOutput)?.contains("no such output") == true)
    }

    func request(metadata: LogMetadata? = nil, headers: HTTPFields = [:], body: [String: JSONValue] = [:]) -> RouteRequest {
        RouteRequest(metadata: metadata, headers: headers, body: body)
    }

    func condition(_ json: String) throws -> RouteCondition {
        try RouteCondition.parse(try JSONValue(json: Data(json.utf8)), field: "c")
    }

    @Test("conditions: every operator, $and and $or, metadata, headers and body fields; a missing field matches only $ne and $nin")
    func conditions() throws {
        let free = request(
            metadata: ["plan": "free", "tier": 2], headers: [HTTPField.Name("x-team")!: "core"],
            body: ["temperature": 0.9, "stream": true, "messages": [["role": "user"]]])
        let cases: [(String, Bool)] = [
            (#"{"metadata.plan": "free"}"#, true), (#"{"metadata.plan": {"$ne": "free"}}"#, false),
            (#"{"metadata.plan": {"$in": ["free", "trial"]}}"#, true), (#"{"metadata.plan": {"$nin": ["free"]}}"#, false),
            (#"{"metadata.tier": {"$gt": 1}}"#, true), (#"{"metadata.tier": {"$gte": 2, "$lt": 3}}"#, true),
            (#"{"metadata.tier": {"$lte": 1}}"#, false), (#"{"metadata.tier": "2"}"#, true),
            (#"{"headers.x-team": "core"}"#, true), (#"{"body.temperature": {"$gt": 0.5}}"#, true), (#"{"stream": true}"#, true),
            (#"{"body.messages.0.role": "user"}"#, true),
            (#"{"$or": [{"metadata.plan": "paid"}, {"headers.x-team": "core"}]}"#, true),
            (#"{"$and": [{"metadata.plan": "free"}, {"metadata.tier": 3}]}"#, false),
            (#"{"metadata.missing": {"$ne": "x"}}"#, true), (#"{"metadata.missing": {"$nin": ["x"]}}"#, true),
            (#"{"metadata.missing": {"$gt": 0}}"#, false), (#"{"metadata.missing": "x"}"#, false), ("{}", true),
        ]
        for (json, expected) in cases {
            #expect(try condition(json).holds(in: free) == expected, "\(json)")
        }
    }

    @Test("a keyed split sends a key the same way every time, and splits keys near the shares")
    func keyedSplit() {
        let shares: [(percent: Double, next: Int)] = [(10, 1)]
        var first = 0
        for user in 0..<10_000 {
            let branch = GatewayPipeline.branch(shares, otherwise: 2, key: "u\(user)", salt: "route/split")
            #expect(branch == GatewayPipeline.branch(shares, otherwise: 2, key: "u\(user)", salt: "route/split"))
            if branch == 1 { first += 1 }
        }
        #expect((800...1200).contains(first), "\(first) of 10,000 keys took the 10% branch")
    }

    static let pieces: [JSONValue] = [
        "start", "end", "model", "conditional", "percentage", "rate", "teleport", "a", "b", "c", "10%", "50%", "else", "next", "true",
        "false", "success", "fallback", 1, -1, 150, .null, ["metadata.plan": ["$eq": "free"]], ["$or": []], ["x": ["$bad": 1]],
    ]

    @Test("fuzz: any element list compiles into a graph every walk of which ends, or is refused with a 400")
    func fuzz() async {
        let reached = Mutex((compiled: 0, refused: 0))
        await propertyCheck(count: FuzzInputs.count, input: Gen.int(in: 0...10_000).array(of: 1...60)) { choices in
            var cursor = 0
            func pick(_ count: Int) -> Int {
                defer { cursor += 1 }
                return choices[cursor % choices.count] % count
            }
            let ids = ["start", "a", "b", "c", "end"]
            var elements: [RouteElement] = []
            // A third of the inputs are a valid chain with one part changed, so that the checks
            // past the first ones are reached too.
            if pick(3) == 0 {
                elements = [
                    RouteElement(id: "start", type: "start", outputs: ["next": RouteOutput("a")]),
                    RouteElement(
                        id: "a", type: "conditional",
                        properties: ["conditions": [["metadata.plan": "free"], ["$or": [["stream": true]]], Self.pieces[pick(Self.pieces.count)]][pick(3)]],
                        outputs: ["true": RouteOutput("b"), "false": RouteOutput(["b", "end", "end", "c", "a"][pick(5)])]),
                    RouteElement(
                        id: "b", type: ["model", "rate", "model", "percentage"][pick(4)],
                        properties: ["provider": "openai", "model": "m", "key": "metadata.user", "limit": 1, "limitType": "count", "window": 60],
                        outputs: ["success": RouteOutput("end"), "fallback": RouteOutput(["end", "end", "a", "c"][pick(4)])]),
                    RouteElement(id: "end", type: "end"),
                ]
            }
            for id in elements.isEmpty ? Array(ids.prefix(2 + pick(4))) : [] {
                let types = ["start", "conditional", "percentage", "rate", "model", "end", "teleport"]
                let type = id == "start" ? "start" : id == "end" ? "end" : types[pick(types.count)]
                var outputs: [String: RouteOutput] = [:]
                for name in ["next", "true", "false", "10%", "90%", "else", "success", "fallback"] where pick(3) == 0 {
                    outputs[name] = RouteOutput(ids[pick(ids.count)])
                }
                var properties: [String: JSONValue] = [:]
                for name in ["conditions", "provider", "model", "key", "limit", "limitType", "window"] where pick(2) == 0 {
                    properties[name] = name == "limitType" ? "count" : name == "key" ? "metadata.user" : Self.pieces[pick(Self.pieces.count)]
                }
                elements.append(RouteElement(id: id, type: type, properties: properties, outputs: outputs))
            }
            do {
                let graph = try RouteGraph.compile(elements)
                reached.withLock { $0.compiled += 1 }
                // Every walk ends within as many steps as there are elements.
                var frontier = [(graph.start, 0)]
                while let (node, depth) = frontier.popLast() {
                    #expect(depth <= graph.nodes.count)
                    frontier += graph.successors(graph.nodes[node]).map { ($0, depth + 1) }
                }
            } catch let error as ManagementError {
                reached.withLock { $0.refused += 1 }
                #expect(error.httpStatus == 400 && error.message.hasPrefix("elements"), "\(error.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        let counts = reached.withLock { $0 }
        #expect(counts.compiled > 0 && counts.refused > 0, "\(counts)")
    }
}
