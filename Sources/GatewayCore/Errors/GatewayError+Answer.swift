import HTTPTypes
import NIOCore

extension GatewayError {
    /// The answer a client gets for this error: its status, `body` (the error's JSON body,
    /// ``body``, made once by the caller, who logs it too), the error's own headers
    /// (`retry-after`, `connection: close`) and the log and event ids. A pure function:
    /// finishing the log and counting the request are the pipeline's.
    func answer(body: ByteBuffer, logID: String?, eventID: String?) -> GatewayResponse {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in self.headers {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        headers.addGatewayIDs(logID: logID, eventID: eventID)
        var response = GatewayResponse(status: httpStatus, headers: headers, body: .buffer(body))
        response.gatewayError = self
        return response
    }
}

extension HTTPFields {
    /// Adds `cf-aig-log-id` and `cf-aig-event-id`, for those given.
    mutating func addGatewayIDs(logID: String?, eventID: String?) {
        if let logID { self[GatewayPipeline.logIDHeader] = logID }
        if let eventID { self[GatewayPipeline.eventIDHeader] = eventID }
    }
}
