/// Workers AI: a model id (`@cf/...`, `@hf/...`) goes to `{base}/run/{model}`;
/// `v1/...` (the OpenAI-compatible API) and anything else is appended as is.
public struct WorkersAIRouting: ProviderRouting {
    public init() {}

    public func upstreamURL(base: String, path: String) throws -> String {
        if isModelID(path) {
            return AppendPathRouting.join(base, "run/" + path)
        }
        return AppendPathRouting.join(base, path)
    }

    public func model(fromPath path: String) -> String? {
        if isModelID(path) { return path }
        if path.hasPrefix("run/") { return String(path.dropFirst(4)) }
        return nil
    }

    public func modelType(fromPath path: String) -> String? {
        guard let model = model(fromPath: path)?.lowercased() else { return AppendPathRouting().modelType(fromPath: path) }
        if model.containsBytes("embed") || model.containsBytes("bge-") { return "embedding" }
        if model.containsBytes("whisper") { return "audio" }
        if model.containsBytes("diffusion") || model.containsBytes("flux") { return "image" }
        return "chat"
    }

    private func isModelID(_ path: String) -> Bool {
        path.hasPrefix("@cf/") || path.hasPrefix("@hf/")
    }
}
