import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// `/gateways` and `/gateways/{id}`: list, create, read, update and delete gateways.
///
/// The store is written first and the in-memory directory (which requests read) after, so
/// a change the API acknowledged is never lost on restart.
struct GatewayEndpoints: Sendable {
    let directory: GatewayDirectory
    let store: any GatewayRecordStore
    let writer: LogWriter
    let features: GatewayFeatures
    /// Changes to gateways run one at a time: read, change, store, publish.
    let edits = WriteTurns()

    /// `GET /gateways?page=&per_page=&search=`: gateways sorted by id, `search` matching part of the id.
    func list(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let paging = try ListPaging(request.uri.query)
        var search: String?
        for (name, value) in paging.others {
            switch name {
            case "search": search = value.isEmpty ? nil : value.lowercased()
            default: throw ManagementError.badInput(name, "unknown query parameter (use page, per_page, search)")
            }
        }
        return paging.answer(directory.all().filter { search == nil || $0.id.lowercased().contains(search!) })
    }

    /// `POST /gateways` with `{"id": ..., settings...}`: 409 if the id is taken.
    func create(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await create(members: try GatewaySettingsInput.object(try await ManagementAPI.body(request))))
    }

    /// `GET /gateways/{id}`.
    func get(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try existing(context.parameters.required("gateway")))
    }

    /// `PUT /gateways/{id}`: the settings given replace the current ones; those not given stay.
    func update(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        return V4Response.ok(try await update(id: context.parameters.required("gateway"), members: members))
    }

    /// `DELETE /gateways/{id}`: the gateway and its logs; answers the deleted gateway.
    func delete(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await delete(id: context.parameters.required("gateway")))
    }

    /// `GET /gateways/{id}/spend` (aigw's own): where each spend rule's budget stands now, per
    /// partition, from the same counters the requests are checked against.
    func spend(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await features.spendLimiter.standings(of: try existing(context.parameters.required("gateway"))))
    }

    // MARK: The changes themselves (the API's and the dashboard's)

    /// Creates a gateway from `{"id": ..., settings...}`; a ``ManagementError`` names what is wrong.
    func create(members: [String: JSONValue]) async throws -> GatewaySettings {
        guard let id = members["id"]?.stringValue else {
            throw ManagementError.badInput("id", "is required: the gateway id used in URLs (letters, digits, '-', '_')")
        }
        do {
            try GatewayDirectory.validate(id: id)
        } catch let error as GatewayError {
            throw ManagementError.badInput("id", error.message)
        }
        var settings = GatewaySettings(id: id)
        try GatewaySettingsInput.apply(members, to: &settings, cipher: features.providerKeys.cipher)
        let created = settings
        try await edits.run {
            guard directory.settings(id) == nil, try await store.createGateway(created) else {
                throw ManagementError.conflict("gateway '\(id)' already exists")
            }
            directory.put(created)
        }
        return created
    }

    /// Changes the settings `members` names; the others stay.
    func update(id: String, members: [String: JSONValue]) async throws -> GatewaySettings {
        try await edits.run {
            var settings = try existing(id)
            try GatewaySettingsInput.apply(members, to: &settings, cipher: features.providerKeys.cipher)
            settings.modifiedAt = Date()
            try await store.saveGateway(settings)
            directory.put(settings)
            features.gatewayUpdated(settings)
            return settings
        }
    }

    /// Deletes a gateway and its logs; returns what it was.
    func delete(id: String) async throws -> GatewaySettings {
        // Logs still queued for it are written first, so that they go with it.
        await writer.flush()
        return try await edits.run {
            let settings = try existing(id)
            _ = try await store.deleteGateway(id: id)
            directory.remove(id)
            features.gatewayDeleted(id)
            return settings
        }
    }

    private func existing(_ id: String) throws -> GatewaySettings {
        guard let settings = directory.settings(id) else {
            throw ManagementError.notFound("gateway '\(id)' not found")
        }
        return settings
    }

    static func integer(_ value: String, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw ManagementError.badInput(name, "'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
