import GatewayCore
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// The process's own traces: swift-otel's tracer, exporting over OTLP/HTTP to the endpoint
/// the configuration names (`tracing`), bootstrapped once per process by `aigw serve`.
/// Logs and metrics stay aigw's own (the process log and `/metrics`).
public enum ProcessTracing {
    /// Makes the tracer for `settings`, installs it as the process's, and returns the service
    /// that exports its spans (run it beside the server).
    public static func bootstrap(_ settings: ProcessTracingSettings, logger: Logger) throws -> any Service {
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.resourceAttributes["service.version"] = GatewayVersion.current
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = settings.otlpEndpoint
        configuration.traces.otlpExporter.protocol = settings.contentType == "json" ? .httpJSON : .httpProtobuf
        configuration.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }
}
