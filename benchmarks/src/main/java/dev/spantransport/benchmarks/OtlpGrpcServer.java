package dev.spantransport.benchmarks;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real grpc-java (Netty) server on loopback implementing OTLP's {@code TraceService/Export}, as a
 * collector written in Java would: grpc-java parses each request with protobuf-java's generated
 * {@link ExportTraceServiceRequest} and the handler answers with an empty response.
 *
 * <p>opentelemetry-proto ships the messages but no gRPC stubs, so the one method is described here
 * by hand with protobuf marshallers; its full name is the one in {@code trace_service.proto}.
 */
final class OtlpGrpcServer implements AutoCloseable {
  static final String SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";

  static final MethodDescriptor<ExportTraceServiceRequest, ExportTraceServiceResponse> EXPORT =
      MethodDescriptor.<ExportTraceServiceRequest, ExportTraceServiceResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Export"))
          .setRequestMarshaller(
              ProtoUtils.marshaller(ExportTraceServiceRequest.getDefaultInstance()))
          .setResponseMarshaller(
              ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance()))
          .build();

  private final Server server;

  /** Starts the server; {@code onRequest} sees every parsed request before it is answered. */
  OtlpGrpcServer(Consumer<ExportTraceServiceRequest> onRequest) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(SERVICE)
            .addMethod(
                EXPORT,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      onRequest.accept(request);
                      response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                      response.onCompleted();
                    }))
            .build();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(service)
            .maxInboundMessageSize(64 * 1024 * 1024)
            .build()
            .start();
  }

  /** The endpoint for {@code OtlpGrpcSpanExporterBuilder.setEndpoint}. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** Spans in a request. */
  static int spanCount(ExportTraceServiceRequest request) {
    int n = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        n += ss.getSpansCount();
      }
    }
    return n;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
  }
}
