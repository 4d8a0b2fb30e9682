/**
 * Connection state, in-flight window and sender loop of the guest exporter.
 *
 * <p>This package is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
package dev.spantransport.vsock.guest.internal;
