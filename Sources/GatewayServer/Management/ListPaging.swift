import GatewayCore
import Hummingbird

/// A list endpoint's `page` (from 1) and `per_page` (1 to 1,000), read as every list reads
/// them, the endpoint's own parameters left over, and a page of the list in the v4 envelope.
struct ListPaging: Sendable {
    var page = 1
    var perPage = 20
    /// The parameters besides `page` and `per_page`, in order, for the endpoint to read.
    var others: [(name: String, value: String)] = []

    init(_ query: String?) throws {
        for (name, value) in QueryParameters(query).pairs {
            switch name {
            case "page": page = try GatewayEndpoints.integer(value, name, in: 1...1_000_000)
            case "per_page": perPage = try GatewayEndpoints.integer(value, name, in: 1...1000)
            default: others.append((name, value))
            }
        }
    }

    /// This page of `items`.
    func slice<Item>(_ items: [Item]) -> [Item] {
        let start = min((page - 1) * perPage, items.count)
        return Array(items[start..<min(start + perPage, items.count)])
    }

    /// This page of `items`, with `result_info`.
    func answer<Item: Encodable & Sendable>(_ items: [Item]) -> Response {
        let slice = slice(items)
        return V4Response.ok(slice, info: .init(page: page, perPage: perPage, count: slice.count, totalCount: items.count))
    }
}
