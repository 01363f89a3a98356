import Foundation

/// One element of a dynamic route's graph, as Cloudflare's API writes it: an id, a type
/// (`start`, `conditional`, `percentage`, `rate`, `model`, `end`), its properties, and its
/// named outputs, each naming the element it leads to.
public struct RouteElement: Sendable, Hashable, Codable {
    /// The element's id, which outputs name.
    public var id: String
    /// `start`, `conditional`, `percentage`, `rate`, `model` or `end`.
    public var type: String
    /// The element's settings (a condition, a limit, a provider and model), as given.
    public var properties: [String: JSONValue]?
    /// Output name → the element it leads to.
    public var outputs: [String: RouteOutput]

    /// An element with its properties and outputs.
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
    /// The id of the element the output leads to.
    public var elementID: String

    /// An output leading to `elementID`.
    public init(_ elementID: String) { self.elementID = elementID }

    enum CodingKeys: String, CodingKey { case elementID = "elementId" }
}

/// One saved graph of a route. Every change of a route's elements is a new version.
public struct RouteVersion: Sendable, Hashable, Codable {
    /// The version's id.
    public var versionID: String
    /// The graph this version holds.
    public var elements: [RouteElement]
    /// When it was saved.
    public var createdAt: Date

    /// A version of `elements`.
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
    /// The deployment's id.
    public var deploymentID: String
    /// The version it made live.
    public var versionID: String
    /// When it did.
    public var createdAt: Date

    /// A deployment of `versionID`.
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
    /// The route's id.
    public var id: String
    /// The gateway it belongs to.
    public var gatewayID: String
    /// The name `model: "dynamic/{name}"` selects.
    public var name: String
    /// Every version, oldest first.
    public var versions: [RouteVersion]
    /// Every deployment, oldest first; the last is live.
    public var deployments: [RouteDeployment]
    /// When the route was made.
    public var createdAt: Date
    /// When it last changed.
    public var modifiedAt: Date

    /// A route with its versions and deployments.
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
    /// The route's id.
    public var id: String
    /// Its name.
    public var name: String
    /// The live version's elements.
    public var elements: [RouteElement]
    /// The live deployment.
    public var deployment: RouteDeploymentInfo?
    /// The live version.
    public var version: RouteVersionInfo?

    enum CodingKeys: String, CodingKey { case id, name, elements, deployment, version }
}

/// A deployment as listed: which version went live, when (text, as Cloudflare writes it).
public struct RouteDeploymentInfo: Sendable, Codable {
    /// The deployment's id.
    public var deploymentID: String
    /// The version it made live.
    public var versionID: String
    /// When, as ISO 8601 text.
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case deploymentID = "deployment_id"
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}

/// A version as listed: `active` is the text "true" for the live one.
public struct RouteVersionInfo: Sendable, Codable {
    /// The version's id.
    public var versionID: String
    /// "true" for the live version, "false" otherwise (Cloudflare writes it as text).
    public var active: String
    /// When it was saved, as ISO 8601 text.
    public var createdAt: String

    /// Whether this version is live.
    public var isLive: Bool { active == "true" }

    enum CodingKeys: String, CodingKey {
        case active
        case versionID = "version_id"
        case createdAt = "created_at"
    }
}
