import GatewayCore
import Hummingbird

extension GatewayDirectory {
    /// The `:gateway` a management route names, when that gateway exists; else a 404 naming it.
    func existingGatewayID(_ context: GatewayRequestContext) throws -> String {
        let id = context.parameters.required("gateway")
        guard settings(id) != nil else { throw ManagementError.notFound("gateway '\(id)' not found") }
        return id
    }
}
