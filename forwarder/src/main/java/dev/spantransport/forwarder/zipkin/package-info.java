/**
 * Zipkin output of the forwarder: {@link dev.spantransport.forwarder.zipkin.ZipkinExporter} maps
 * span data to Zipkin's own span model and posts it as JSON v2 with zipkin-reporter.
 */
package dev.spantransport.forwarder.zipkin;
