import Hummingbird

/// The server's responder: provider calls (`/v1/...`) go straight to the provider route,
/// everything else (the management API, health, metrics) through the router.
///
/// Provider calls are nearly all the traffic, and the pipeline cuts their path itself
/// (`GatewayRoute`). Through the router each paid for a trie lookup and for the matched
/// route's path written out as a string (about 2% of the gateway's CPU under load).
struct GatewayResponder: HTTPResponder {
    let providers: ProviderRoute
    let router: RouterResponder<GatewayRequestContext>

    func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        if ProviderRoute.serves(request) {
            return await providers.respond(to: request, context: context)
        }
        return try await router.respond(to: request, context: context)
    }
}
