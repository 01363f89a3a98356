import Foundation

/// What went wrong talking to an aigw server (or, for a run without a gateway, to Workers AI).
public enum AIGatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The log does not exist in that gateway (or not yet: the gateway writes logs in batches,
    /// and answers reads of a log it has just returned only after writing it).
    case logNotFound(String)
    /// The gateway (or account) does not exist.
    case gatewayNotFound(String)
    /// The admin token (management API) or gateway token (`cf-aig-authorization`) was missing or wrong.
    case unauthorized(String)
    /// The gateway's rate limit was reached; try again after `retryAfter` seconds when given.
    case rateLimited(retryAfter: Int?)
    /// The request was malformed; `message` names the field or header.
    case badRequest(code: Int, message: String)
    /// What the request would make exists already (a gateway id, a dataset name): HTTP 409.
    case conflict(code: Int, message: String)
    /// The gateway could not get an answer from the provider (network error or timeout).
    case noResponse(code: Int, status: Int, message: String)
    /// The provider answered with a non-2xx status; its body is passed on unchanged.
    case upstream(status: Int, body: [UInt8])
    /// Any other error the gateway or its management API answered.
    case gateway(code: Int, status: Int, message: String)
    /// The server could not be reached, or the connection failed.
    case transport(String)
    /// The server answered something this library cannot read.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .logNotFound(let message): "log not found: \(message)"
        case .gatewayNotFound(let message): "gateway not found: \(message)"
        case .unauthorized(let message): "unauthorized: \(message)"
        case .rateLimited(let retryAfter): "rate limited" + (retryAfter.map { "; retry after \($0) s" } ?? "")
        case .badRequest(let code, let message): "bad request (\(code)): \(message)"
        case .conflict(let code, let message): "conflict (\(code)): \(message)"
        case .noResponse(let code, let status, let message): "no response from the provider (\(code), HTTP \(status)): \(message)"
        case .upstream(let status, let body): "provider answered HTTP \(status): \(String(decoding: body.prefix(500), as: UTF8.self))"
        case .gateway(let code, let status, let message): "gateway error \(code) (HTTP \(status)): \(message)"
        case .transport(let message): "transport error: \(message)"
        case .invalidResponse(let message): "invalid response: \(message)"
        }
    }

    /// Reads an error answer: the gateway's `AiGatewayError` body, the management API's v4
    /// envelope (only when `management` is true: providers such as Workers AI answer in the
    /// same envelope, and theirs must come back as ``upstream(status:body:)``), or a provider's own body.
    static func from(
        status: Int, headers: [(String, String)], body: [UInt8], management: Bool,
        notFound: (String) -> AIGatewayError
    ) -> AIGatewayError {
        let json = try? JSONValue(json: Data(body))
        let retryAfter = headers.first { $0.0.lowercased() == "retry-after" }.flatMap { Int($0.1) }
        // The gateway's own errors (SPEC section 8) and the management API's v4 failures.
        let gatewayEntry: (code: Int, message: String)? = {
            guard let json else { return nil }
            // On /compat the gateway answers in OpenAI's shape, its list of errors as `errors`.
            let list =
                json["name"]?.stringValue == "AiGatewayError"
                ? (json["error"]?.arrayValue != nil ? json["error"] : json["errors"])
                : management && json["success"] == .bool(false) ? json["errors"] : nil
            guard let first = list?.arrayValue?.first else { return nil }
            return (Int(first["code"]?.numberValue ?? 0), first["message"]?.stringValue ?? "")
        }()
        guard let (code, message) = gatewayEntry else {
            if status == 429 { return .rateLimited(retryAfter: retryAfter) }
            return .upstream(status: status, body: body)
        }
        switch (status, code) {
        case (_, 2003), (429, _): return .rateLimited(retryAfter: retryAfter)
        case (_, 2009), (401, _), (403, _): return .unauthorized(message)
        case (_, 2005): return .noResponse(code: code, status: status, message: message)
        case (404, _): return notFound(message)
        case (409, _): return .conflict(code: code, message: message)
        case (400..<500, _): return .badRequest(code: code, message: message)
        default: return .gateway(code: code, status: status, message: message)
        }
    }
}
