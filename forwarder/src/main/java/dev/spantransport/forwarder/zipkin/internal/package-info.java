/**
 * The pieces behind {@link dev.spantransport.forwarder.zipkin.ZipkinExporter}: the span mapping and
 * the HTTP sender. Not public API; may change without notice.
 */
package dev.spantransport.forwarder.zipkin.internal;
