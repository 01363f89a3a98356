import AIGateway
import Foundation
import GatewayCore
import Logging

/// The access log: one line per logged request, at `info` (`AIGW_LOG_LEVEL=info` turns it on),
/// written by the log writer once the log's model, tokens and cost are known, off the request
/// path. It holds what the stored log holds, never a header or a body, so never a secret:
///
///     POST my-gw openai/gpt-4o-mini chat/completions 200 142ms in=12 out=9 $0.000007 MISS 01M9...
enum AccessLog {
    /// The line for `log`.
    static func line(_ log: AIGatewayLog, method: String, stored: Bool = true) -> String {
        // Client-written values are quoted as error messages quote them: nothing breaks the line.
        let model = log.model.isEmpty ? "-" : log.model.printableInError
        var line = "\(method.printableInError) \(log.gatewayID) \(log.provider)/\(model) \(log.path.printableInError)"
        line += " \(log.statusCode) \(log.duration)ms"
        line += " in=\(log.tokensIn.map(String.init) ?? "-") out=\(log.tokensOut.map(String.init) ?? "-")"
        line += " \(log.cost.map(Money.dollars) ?? "$-") \(log.cached ? "HIT" : "MISS") \(stored ? log.id : "-")"
        if let step = log.step, step > 0 { line += " step=\(step)" }
        return line
    }
}
