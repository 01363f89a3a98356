import Foundation
import Logging

/// An error made by the gateway itself (not passed on from an upstream), sent to the
/// client in Cloudflare's `AiGatewayError` body (SPEC section 8).
///
/// `message` says what was wrong and where; it never contains a secret.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The gateway's error code (`internalCode` in the body).
    public var code: Int
    /// The HTTP status the client receives.
    public var httpStatus: Int
    /// What went wrong, for a person to read.
    public var message: String
    /// Extra response headers, e.g. `Retry-After`.
    public var headers: [(String, String)]

    /// Creates an error with its code, HTTP status and message.
    public init(code: Int, httpStatus: Int, message: String, headers: [(String, String)] = []) {
        self.code = code
        self.httpStatus = httpStatus
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(code) (HTTP \(httpStatus)): \(message)" }

    public static func == (lhs: GatewayError, rhs: GatewayError) -> Bool {
        lhs.code == rhs.code && lhs.httpStatus == rhs.httpStatus && lhs.message == rhs.message
    }

    /// The JSON body of SPEC section 8.
    public var body: Data {
        let payload = Body(
            success: false, result: [], messages: [],
            error: [.init(code: code, message: message)],
            name: "AiGatewayError", httpCode: httpStatus, internalCode: code,
            message: message, description: message)
        // Encoding a struct of strings and ints cannot fail.
        return (try? Self.encoder.encode(payload)) ?? Data()
    }

    /// The body `/compat` answers with: the error in the shape OpenAI's SDKs read
    /// (`{"error": {"message", "type", "code", "param"}}`, so an SDK's exception carries the
    /// message), with Cloudflare's other fields beside it (`name`, `httpCode`, `internalCode`,
    /// `message`, and Cloudflare's list of errors as `errors`). One key cannot be both a list
    /// (Cloudflare's `error`) and an object (OpenAI's): on `/compat` the SDKs' shape wins.
    public var openAIBody: Data {
        let type =
            switch httpStatus {
            case 401, 403: "authentication_error"
            case 404: "not_found_error"
            case 429: "rate_limit_error"
            case 400..<500: "invalid_request_error"
            default: "api_error"
            }
        let payload = OpenAIBody(
            error: .init(message: message, type: type, code: String(code)), success: false,
            errors: [.init(code: code, message: message)], name: "AiGatewayError", httpCode: httpStatus, internalCode: code,
            message: message)
        return (try? Self.encoder.encode(payload)) ?? Data()
    }

    private struct OpenAIBody: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var code: String
            var param: String? = nil

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(code, forKey: .code)
                try container.encodeNil(forKey: .param)
            }

            enum CodingKeys: String, CodingKey { case message, type, code, param }
        }
        var error: Detail
        var success: Bool
        var errors: [Body.Entry]
        var name: String
        var httpCode: Int
        var internalCode: Int
        var message: String
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private struct Body: Encodable {
        struct Entry: Encodable {
            var code: Int
            var message: String
        }
        var success: Bool
        var result: [String]
        var messages: [String]
        var error: [Entry]
        var name: String
        var httpCode: Int
        var internalCode: Int
        var message: String
        var description: String
    }
}

extension GatewayError {
    /// 2001: the gateway does not exist and auto-creation is off, or the account is not served here.
    public static func gatewayNotFound(_ message: String) -> GatewayError {
        GatewayError(code: 2001, httpStatus: 404, message: message)
    }

    /// 2001, HTTP 400: a provider slug that is neither built in nor configured.
    public static func unknownProvider(_ slug: String, known: [String]) -> GatewayError {
        GatewayError(
            code: 2001, httpStatus: 400,
            message: "unknown provider '\(slug)'; known providers: \(known.joined(separator: ", "))")
    }

    /// 2005, HTTP 502: the provider could not be reached.
    public static func upstreamUnreachable(_ provider: String, reason: String) -> GatewayError {
        GatewayError(code: 2005, httpStatus: 502, message: "no response from provider '\(provider)': \(reason)")
    }

    /// 2005, HTTP 504: the provider sent nothing within the request timeout.
    public static func upstreamTimeout(_ provider: String, afterMilliseconds: Int) -> GatewayError {
        GatewayError(
            code: 2005, httpStatus: 504,
            message: "no response from provider '\(provider)' within \(afterMilliseconds) ms (request timeout)")
    }

    /// 2010, HTTP 400: a `cf-aig-*` header whose value cannot be used.
    public static func badHeader(_ name: String, _ problem: String) -> GatewayError {
        GatewayError(code: 2010, httpStatus: 400, message: "invalid header \(name): \(problem)")
    }

    /// 2011, HTTP 413: a request body over the configured cap.
    public static func bodyTooLarge(limit: Int) -> GatewayError {
        // The rest of the body is not read: the connection closes after the answer.
        GatewayError(
            code: 2011, httpStatus: 413, message: "request body is larger than the limit of \(limit) bytes",
            headers: [("connection", "close")])
    }

    /// 2012, HTTP 400: a URL under `/v1/` that does not name account, gateway and provider.
    public static func badPath(_ problem: String) -> GatewayError {
        GatewayError(code: 2012, httpStatus: 400, message: problem)
    }

    /// 2013, HTTP 400: the request body could not be read (the client broke it off).
    public static func unreadableBody(_ reason: String) -> GatewayError {
        GatewayError(code: 2013, httpStatus: 400, message: "could not read the request body: \(reason)")
    }

    /// 2014, HTTP 400: a Universal request that cannot be run; the message names the step and field.
    public static func badUniversalRequest(_ problem: String) -> GatewayError {
        GatewayError(code: 2014, httpStatus: 400, message: "invalid Universal request: \(problem)")
    }

    /// 2005, HTTP 499 (nginx's "client closed request"): the client left before the provider answered.
    public static let clientGone = GatewayError(
        code: 2005, httpStatus: 499, message: "the client went away before the provider answered")

    /// 2000, HTTP 500: something inside the gateway failed.
    /// A 2000 (HTTP 500) for an error the gateway did not expect (a database's, say), whose
    /// text is not for the client: it goes to the process log under an incident id, and the
    /// client is given only the id to quote.
    public static func concealing(_ error: any Error) -> GatewayError {
        let incident = ULID().description
        incidentLogger.error("request failed inside the gateway", metadata: ["incident": "\(incident)", "error": "\(error)"])
        return .internal("the request failed inside the gateway (incident \(incident); the gateway's log names its cause)")
    }

    private static let incidentLogger = Logger(label: "aigw")

    public static func `internal`(_ message: String) -> GatewayError {
        GatewayError(code: 2000, httpStatus: 500, message: message)
    }
}
