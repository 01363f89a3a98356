import Foundation

/// One element of a dynamic route's graph, as Cloudflare's API writes it: an id, a type
/// (`start`, `conditional`, `percentage`, `rate`, `model`, `end`), its properties, and its
/// named outputs, each naming the element it leads to.
public struct RouteElement: Sendable, Hashable, Codable {
    public var id: String
    public var type: String
    /// The element's settings (a condition, a limit, a provider and model), as given.
    public var properties: [String: JSONValue]?
    /// Output name → the element it leads to.
    public var outputs: [String: RouteOutput]

    public init(id: String, type: String, properties: [String: JSONValue]? = nil, outputs: [String: RouteOutput] = [:]) {
        self.id = id
        self.type = type
        self.properties = properties
        self.outputs = outputs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        type = try container.decode(String.self, forKey: .type)
        properties = try container.decodeIfPresent([String: JSONValue].self, forKey: .properties)
        outputs = try container.decodeIfPresent([String: RouteOutput].self, forKey: .outputs) ?? [:]
    }

    enum CodingKeys: String, CodingKey { case id, type, properties, outputs }
}

/// Where an output leads: `{"elementId": "..."}`.
public struct RouteOutput: Sendable, Hashable, Codable {
    public var elementID: String

    public init(_ elementID: String) { self.elementID = elementID }

    enum CodingKeys: String, CodingKey { case elementID = "elementId" }
}

/// One saved graph of a route. Every change of a route's elements is a new version.
public struct RouteVersion: Sendable, Hashable, Codable {
    public var versionID: String
    public var elements: [RouteElement]
    public var createdAt: Date

    public init(versionID: String, elements: [RouteElement], createdAt: Date) {
        self.versionID = versionID
        self.elements = elements
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case elements
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}

/// A version made live: new requests to the route take it from then on.
public struct RouteDeployment: Sendable, Hashable, Codable {
    public var deploymentID: String
    public var versionID: String
    public var createdAt: Date

    public init(deploymentID: String, versionID: String, createdAt: Date) {
        self.deploymentID = deploymentID
        self.versionID = versionID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id"
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}

/// A dynamic route of a gateway (SPEC section 11): its name (what `model: "dynamic/{name}"`
/// selects), every version of its graph, and its deployments, the last one live.
public struct DynamicRoute: Sendable, Hashable, Codable {
    public var id: String
    public var gatewayID: String
    public var name: String
    public var versions: [RouteVersion]
    public var deployments: [RouteDeployment]
    public var createdAt: Date
    public var modifiedAt: Date

    public init(
        id: String, gatewayID: String, name: String, versions: [RouteVersion], deployments: [RouteDeployment], createdAt: Date
    ) {
        self.id = id
        self.gatewayID = gatewayID
        self.name = name
        self.versions = versions
        self.deployments = deployments
        self.createdAt = createdAt
        self.modifiedAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, versions, deployments
        case gatewayID = "gateway_id"
        case createdAt = "created_at"
        case modifiedAt = "modified_at"
    }

    /// The live deployment (the last one made).
    public var deployment: RouteDeployment? { deployments.last }

    /// The live version.
    public var liveVersion: RouteVersion? {
        deployment.flatMap { deployment in versions.first { $0.versionID == deployment.versionID } }
    }
}

/// A route as the management API shows it: its live version's elements, the live deployment
/// and version (what ``ManagementClient/routes(gateway:)`` and friends return).
public struct RouteInfo: Sendable, Codable {
    public var id: String
    public var name: String
    public var elements: [RouteElement]
    public var deployment: RouteDeploymentInfo?
    public var version: RouteVersionInfo?

    enum CodingKeys: String, CodingKey { case id, name, elements, deployment, version }
}

/// A deployment as listed: which version went live, when (text, as Cloudflare writes it).
public struct RouteDeploymentInfo: Sendable, Codable {
    public var deploymentID: String
    public var versionID: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id"
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}

/// A version as listed: `active` is the text "true" for the live one.
public struct RouteVersionInfo: Sendable, Codable {
    public var versionID: String
    public var active: String
    public var createdAt: String

    /// Whether this version is live.
    public var isLive: Bool { active == "true" }

    enum CodingKeys: String, CodingKey {
        case active
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}
