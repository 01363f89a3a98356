/// Replicate: the path is appended; `models/{owner}/{name}/predictions` names the model.
public struct ReplicateRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String { AppendPathRouting.join(base, path) }

    public func model(fromPath path: String) -> String? {
        let parts = path.split(separator: "/")
        guard let index = parts.firstIndex(of: "models"), index + 2 < parts.count else { return nil }
        return parts[index + 1] + "/" + parts[index + 2]
    }
}
