/// Google AI Studio: the path is appended; the model is the `models/{model}:method` segment.
public struct GoogleModelPathRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String { AppendPathRouting.join(base, path) }

    public func model(fromPath path: String) -> String? { Self.modelSegment(path) }

    /// `.../models/gemini-1.5-flash:generateContent` gives `gemini-1.5-flash`.
    static func modelSegment(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        guard let index = parts.lastIndex(of: "models"), index + 1 < parts.count else { return nil }
        let segment = parts[index + 1]
        return String(segment.split(separator: ":", maxSplits: 1).first ?? segment)
    }
}

/// Google Vertex AI: `v1/projects/{project}/locations/{region}/...` reaches
/// `https://{region}-aiplatform.googleapis.com/v1/projects/...`.
public struct GoogleVertexAIRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String {
        let parts = path.split(separator: "/")
        guard let index = parts.firstIndex(of: "locations"), index + 1 < parts.count else {
            throw GatewayError.badPath(
                "google-vertex-ai paths are v1/projects/{project}/locations/{region}/...; got '\(path)'")
        }
        try HostLabel.validate(parts[index + 1], name: "google-vertex-ai region")
        let filled = base.replacingOccurrences(of: "{region}", with: String(parts[index + 1]))
        return filled.hasSuffix("/") ? filled + path : filled + "/" + path
    }

    public func model(fromPath path: String) -> String? { GoogleModelPathRouting.modelSegment(path) }
}
