import AIGateway
import Foundation
import GatewayCore
import Hummingbird

/// Cloudflare's v4 response envelope:
/// `{"success": true, "errors": [], "messages": [], "result": ..., "result_info": {...}}`.
struct V4Envelope<Result: Encodable>: Encodable {
    struct Message: Encodable {
        var code: Int
        var message: String
    }

    /// Paging of a list result.
    struct ResultInfo: Encodable {
        var page: Int
        var perPage: Int
        var count: Int
        var totalCount: Int

        enum CodingKeys: String, CodingKey {
            case page, count
            case perPage = "per_page"
            case totalCount = "total_count"
        }
    }

    var success: Bool
    var errors: [Message]
    var result: Result?
    var resultInfo: ResultInfo?

    enum CodingKeys: String, CodingKey {
        case success, errors, messages, result
        case resultInfo = "result_info"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(success, forKey: .success)
        try container.encode(errors, forKey: .errors)
        try container.encode([Message](), forKey: .messages)
        // `result` is always present: null on failure, as Cloudflare writes it.
        if let result { try container.encode(result, forKey: .result) } else { try container.encodeNil(forKey: .result) }
        try container.encodeIfPresent(resultInfo, forKey: .resultInfo)
    }
}

/// Building management API responses.
enum V4Response {
    /// A successful answer holding `result`.
    static func ok<Result: Encodable>(
        _ result: Result, info: V4Envelope<Result>.ResultInfo? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        json(V4Envelope(success: true, errors: [], result: result, resultInfo: info), status: status)
    }

    /// A failed answer for `error`.
    static func failure(_ error: ManagementError) -> Response {
        json(
            V4Envelope<String>(success: false, errors: [.init(code: error.code, message: error.message)], result: nil),
            status: HTTPResponse.Status(code: error.httpStatus))
    }

    /// Any JSON body (for the few answers Cloudflare does not wrap in the envelope).
    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"success":false,"errors":[{"code":1000,"message":"response could not be encoded"}],"messages":[],"result":null}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static let encoder = WireFormat.encoder()
}
