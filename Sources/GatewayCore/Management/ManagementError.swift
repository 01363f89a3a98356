/// An error answered by the management REST API, in Cloudflare's v4 envelope:
/// `{"success": false, "errors": [{"code": N, "message": "..."}], "messages": [], "result": null}`.
///
/// Codes: 10000 authentication, 1001 bad input, 1002 not found, 1003 conflict, 1000 internal.
/// A bad-input message names the field (or query parameter) that was wrong.
public struct ManagementError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The code in `errors[0].code`.
    public var code: Int
    /// The HTTP status.
    public var httpStatus: Int
    /// What went wrong, for a person to read.
    public var message: String

    /// An error with its code, status and message.
    public init(code: Int, httpStatus: Int, message: String) {
        self.code = code
        self.httpStatus = httpStatus
        self.message = message
    }

    public var description: String { "\(code) (HTTP \(httpStatus)): \(message)" }

    /// 400: `field` was wrong; `problem` says how.
    public static func badInput(_ field: String, _ problem: String) -> ManagementError {
        ManagementError(code: 1001, httpStatus: 400, message: "\(field): \(problem)")
    }

    /// 404: the named thing does not exist.
    public static func notFound(_ message: String) -> ManagementError {
        ManagementError(code: 1002, httpStatus: 404, message: message)
    }

    /// 409: the named thing exists already.
    public static func conflict(_ message: String) -> ManagementError {
        ManagementError(code: 1003, httpStatus: 409, message: message)
    }

    /// 401: no or a wrong admin token, or a non-loopback client with no token configured.
    public static func unauthorized(_ message: String) -> ManagementError {
        ManagementError(code: 10000, httpStatus: 401, message: message)
    }

    /// 500: something failed inside the gateway (the store, typically).
    public static func `internal`(_ message: String) -> ManagementError {
        ManagementError(code: 1000, httpStatus: 500, message: message)
    }
}
